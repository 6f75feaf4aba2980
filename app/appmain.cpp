#include "cli/cli.h"
#include "mainwindow.h"

#include <trace/outputfile.h>

#include <QApplication>
#include <QSocketNotifier>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace {
// Qt aborts when its platform cannot reach a display; say so first, and how to go on without one.
bool hasDisplay(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "-platform") == 0 || std::strncmp(argv[i], "-platform=", 10) == 0)
            return true;
    return !qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") || !qEnvironmentVariableIsEmpty("DISPLAY")
        || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY");
}

void startupMessage(QtMsgType type, const QMessageLogContext&, const QString& message)
{
    std::fprintf(stderr, "%s\n", qPrintable(message));
    if (type == QtFatalMsg) {
        std::fputs("threadlab: cannot open the window (see above); the command line needs no display: "
                   "threadlab --help\n",
            stderr);
        std::_Exit(2);
    }
}

}

// The window and the command line, in a module the threadlab executable loads (see main.cpp), so that a
// child process, which needs neither, does not load Qt Gui and the ~50 libraries that come with it.
// `stopSignalFd`: where main() writes the number of a SIGINT, SIGTERM or SIGHUP it caught (-1: none).
// `stdoutClosed`: standard output was closed at start (main() put /dev/null there).
extern "C" Q_DECL_EXPORT int threadlab_app_main(int argc, char** argv, int stopSignalFd, bool stdoutClosed)
{
    tl::setStandardOutputClosed(stdoutClosed);
    QCoreApplication::setOrganizationName(QStringLiteral("ThreadLab"));
    QCoreApplication::setApplicationName(QStringLiteral("ThreadLab"));
    QCoreApplication::setApplicationVersion(QStringLiteral(THREADLAB_VERSION));
    if (tl::cli::wantsCli(argc, argv))
        return tl::cli::main(argc, argv, stopSignalFd);
    if (const char* option = tl::cli::qtOptionMissingItsValue(argc, argv)) {
        std::fprintf(stderr, "threadlab: %s needs a value (e.g. -style fusion)\n", option);
        return 2;
    }
    if (!hasDisplay(argc, argv)) {
        std::fputs("threadlab: no display to open the window on (DISPLAY and WAYLAND_DISPLAY are not set).\n"
                   "Start it from a desktop session, or use the command line: threadlab --help\n",
            stderr);
        return 2;
    }

    // A platform Qt cannot load (-platform NAME, a display that does not answer) is a fatal message, which
    // aborts: while the window's application starts, say what Qt said and exit 2 instead.
    const QtMessageHandler previous = qInstallMessageHandler(startupMessage);
    QApplication app(argc, argv);
    qInstallMessageHandler(previous);
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/threadlab.svg")));
    tl::ui::MainWindow window;
    window.show();
    // A stop signal closes every window the normal way (the main window's close stops the running demo and
    // waits for it), then the app exits with 128 + the signal's number.
    int stopSignal = 0;
    if (stopSignalFd >= 0) {
        auto* stopSignals = new QSocketNotifier(stopSignalFd, QSocketNotifier::Read, &app);
        QObject::connect(stopSignals, &QSocketNotifier::activated, &app, [&stopSignal, stopSignalFd] {
            unsigned char signo = 0;
            if (::read(stopSignalFd, &signo, 1) != 1 || stopSignal != 0)
                return; // a second signal while closing: already on the way out
            stopSignal = signo;
            QApplication::closeAllWindows();
            QCoreApplication::exit(128 + stopSignal);
        });
    }
    return QApplication::exec();
}
