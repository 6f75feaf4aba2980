#include "cli/cli.h"
#include "mainwindow.h"

#include <QApplication>

// The window and the command line, in a module the threadlab executable loads (see main.cpp), so that a
// child process, which needs neither, does not load Qt Gui and the ~50 libraries that come with it.
extern "C" Q_DECL_EXPORT int threadlab_app_main(int argc, char** argv)
{
    QCoreApplication::setOrganizationName(QStringLiteral("ThreadLab"));
    QCoreApplication::setApplicationName(QStringLiteral("ThreadLab"));
    QCoreApplication::setApplicationVersion(QStringLiteral(THREADLAB_VERSION));
    if (tl::cli::wantsCli(argc, argv))
        return tl::cli::main(argc, argv);

    QApplication app(argc, argv);
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/threadlab.svg")));
    tl::ui::MainWindow window;
    window.show();
    return QApplication::exec();
}
