#include "cli/cli.h"
#include "mainwindow.h"
#include "processes/childcontext.h"
#include "processes/ipcregistry.h"

#include <QApplication>

int main(int argc, char** argv)
{
    // First, before any of the window's set-up: a child process must start fast.
    if (tl::isChildMode(argc, argv))
        return tl::runChildMode(argc, argv);
    // Shared memory of a ThreadLab that was killed outright (SIGKILL) is still there: remove it first.
    tl::IpcRegistry::removeStaleQuietly();
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
