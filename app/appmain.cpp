#include "cli/cli.h"
#include "mainwindow.h"

#include <QApplication>
#include <QSocketNotifier>
#include <unistd.h>

// The window and the command line, in a module the threadlab executable loads (see main.cpp), so that a
// child process, which needs neither, does not load Qt Gui and the ~50 libraries that come with it.
// `stopSignalFd`: where main() writes the number of a SIGINT, SIGTERM or SIGHUP it caught (-1: none).
extern "C" Q_DECL_EXPORT int threadlab_app_main(int argc, char** argv, int stopSignalFd)
{
    QCoreApplication::setOrganizationName(QStringLiteral("ThreadLab"));
    QCoreApplication::setApplicationName(QStringLiteral("ThreadLab"));
    QCoreApplication::setApplicationVersion(QStringLiteral(THREADLAB_VERSION));
    if (tl::cli::wantsCli(argc, argv))
        return tl::cli::main(argc, argv, stopSignalFd);

    QApplication app(argc, argv);
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
