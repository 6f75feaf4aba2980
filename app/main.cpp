#include "cli/cli.h"
#include "mainwindow.h"

#include <QApplication>

int main(int argc, char** argv)
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
