#include "tracedialog.h"

#include <document/panelaction.h>
#include <document/rundocument.h>
#include <document/tracehistory.h>

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPushButton>

namespace tl::ui {

namespace {
// A field with a Browse… button after it.
QWidget* withBrowse(QWidget* field, const QString& tip, QObject* receiver, const std::function<void()>& browse)
{
    auto* row = new QWidget;
    auto* layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(field, 1);
    auto* button = new QPushButton(TraceDialog::tr("Browse…"));
    button->setToolTip(tip);
    QObject::connect(button, &QPushButton::clicked, receiver, browse);
    layout->addWidget(button);
    return row;
}
} // namespace

TraceDialog::TraceDialog(QWidget* parent)
    : QDialog(parent)
    , m_program(new QComboBox)
    , m_arguments(new QLineEdit)
    , m_directory(new QLineEdit)
    , m_environment(new QPlainTextEdit)
    , m_problem(new QLabel)
{
    setWindowTitle(tr("Trace a Program"));
    m_program->setEditable(true);
    m_program->setInsertPolicy(QComboBox::NoInsert);
    // The drop-down's entries are whole command lines: completing from them put "/bin/sh -c '…'" in the
    // program field as "/bin/sh" was typed (the program then was not found).
    m_program->setCompleter(nullptr);
    m_program->setMinimumContentsLength(40);
    m_program->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_program->lineEdit()->setPlaceholderText(tr("a path, or a name found in PATH"));
    m_program->setAccessibleName(tr("Program"));
    m_program->setToolTip(tr("The program to run and trace; the drop-down holds the ones traced lately"));
    const QList<TraceRequest> recent = tracehistory::recent();
    for (const TraceRequest& r : recent)
        m_program->addItem(tracehistory::commandLine(r.command));
    // A recent entry fills every field with what it was traced with; the field keeps the program alone.
    connect(m_program, &QComboBox::activated, this, [this, recent](int index) {
        if (index >= 0 && index < recent.size())
            setRequest(recent[index]);
    });
    m_arguments->setPlaceholderText(tr("as in a shell: -c 'echo a b'"));
    m_arguments->setAccessibleName(tr("Arguments"));
    m_directory->setPlaceholderText(tr("ThreadLab's own"));
    m_directory->setAccessibleName(tr("Working directory"));
    m_environment->setPlaceholderText(tr("KEY=VALUE, one a line, over ThreadLab's environment (optional)"));
    m_environment->setAccessibleName(tr("Environment"));
    m_environment->setTabChangesFocus(true);
    m_environment->setFixedHeight(QFontMetrics(m_environment->font()).lineSpacing() * 4 + 12);
    m_problem->setWordWrap(true);
    m_problem->setStyleSheet(QStringLiteral("color: #d32f2f"));
    m_problem->setAccessibleName(tr("Problem"));
    m_problem->hide();
    // A reason shown stays only until the program is changed.
    connect(m_program, &QComboBox::editTextChanged, m_problem, &QWidget::hide);

    auto* form = new QFormLayout;
    QWidget* program = withBrowse(m_program, tr("Choose the program's file"), this, [this] { chooseProgram(); });
    QWidget* directory
        = withBrowse(m_directory, tr("Choose the folder the program starts in"), this, [this] { chooseDirectory(); });
    form->addRow(tr("&Program:"), program);
    form->addRow(tr("&Arguments:"), m_arguments);
    form->addRow(tr("&Working directory:"), directory);
    form->addRow(tr("&Environment:"), m_environment);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("&Trace"));
    connect(buttons, &QDialogButtonBox::accepted, this, &TraceDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &TraceDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_problem);
    layout->addWidget(buttons);
    // Tab goes from field to field, the Browse… buttons after them: from the program, typing the arguments
    // went to its Browse… button, whose space opened the file dialog.
    const QList<QWidget*> order { m_program, m_arguments, m_directory, m_environment,
        program->findChild<QPushButton*>(), directory->findChild<QPushButton*>() };
    for (qsizetype k = 1; k < order.size(); ++k)
        QWidget::setTabOrder(order[k - 1], order[k]);

    setRequest(tracehistory::last());
}

void TraceDialog::setRequest(const TraceRequest& request)
{
    m_program->setEditText(request.command.value(0));
    m_arguments->setText(tracehistory::commandLine(request.command.mid(1)));
    m_directory->setText(request.workingDirectory);
    m_environment->setPlainText(request.environment.join(u'\n'));
}

TraceRequest TraceDialog::request() const
{
    TraceRequest request;
    if (const QString program = m_program->currentText().trimmed(); !program.isEmpty())
        request.command << program;
    request.command << tracehistory::splitArguments(m_arguments->text());
    request.workingDirectory = m_directory->text().trimmed();
    for (const QString& line : m_environment->toPlainText().split(u'\n', Qt::SkipEmptyParts))
        if (!line.trimmed().isEmpty())
            request.environment << line.trimmed();
    return request;
}

QString TraceDialog::problem() const
{
    return m_problem->isHidden() ? QString() : m_problem->text();
}

void TraceDialog::accept()
{
    const TraceRequest request = this->request();
    QString problem;
    if (request.command.isEmpty())
        problem = tr("Name the program to trace.");
    else if (const auto bad = std::find_if(request.environment.begin(), request.environment.end(),
                 [](const QString& line) { return line.indexOf(u'=') <= 0; });
             bad != request.environment.end())
        problem = tr("The environment takes KEY=VALUE lines: \"%1\" is not one.").arg(*bad);
    else if (const ProgramCheck check = checkProgram(request); check.exitCode != 0)
        problem = tr("Cannot start it (exit code %1, as a shell would say): %2").arg(check.exitCode).arg(check.reason);
    m_problem->setText(problem);
    m_problem->setVisible(!problem.isEmpty());
    if (!problem.isEmpty())
        return;
    tracehistory::remember(request);
    QDialog::accept();
}

void TraceDialog::chooseProgram()
{
    const QString file = QFileDialog::getOpenFileName(this, tr("Program to Trace"), m_directory->text());
    if (!file.isEmpty())
        m_program->setEditText(file);
}

void TraceDialog::chooseDirectory()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Working Directory"), m_directory->text());
    if (!dir.isEmpty())
        m_directory->setText(dir);
}

TraceActions::TraceActions(RunDocument* document, QWidget* window)
    : QObject(window)
    , m_window(window)
    , m_trace(panelAction(this, QStringLiteral("system-run"), tr("&Trace a Program…"),
          QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_T),
          tr("Run a program of your own and draw its threads, locks and processes as it goes")))
    , m_recent(new QMenu(tr("Recent &Programs"), window))
{
    connect(m_trace, &QAction::triggered, this, &TraceActions::openDialog);
    m_recent->setToolTipsVisible(true);
    connect(m_recent, &QMenu::aboutToShow, this, &TraceActions::fillRecentMenu);
    fillRecentMenu(); // enabled or not from the start
    connect(document, &RunDocument::started, this, [this] {
        m_trace->setEnabled(false);
        m_recent->menuAction()->setEnabled(false);
    });
    connect(document, &RunDocument::workersEnded, this, [this] {
        m_trace->setEnabled(true);
        fillRecentMenu();
    });
}

void TraceActions::openDialog()
{
    TraceDialog dialog(m_window);
    if (dialog.exec() == QDialog::Accepted)
        emit traceRequested(dialog.request());
}

void TraceActions::fillRecentMenu()
{
    m_recent->clear();
    const QList<TraceRequest> recent = tracehistory::recent();
    for (const TraceRequest& r : recent) {
        QString text = tracehistory::commandLine(r.command);
        if (text.size() > 60)
            text = text.left(59) + u'…';
        auto* action = m_recent->addAction(text, this, [this, r] { request(r); });
        action->setToolTip(tr("Trace %1 again").arg(tracehistory::commandLine(r.command))
            + (r.workingDirectory.isEmpty() ? QString() : tr(" in %1").arg(r.workingDirectory))
            + (r.environment.isEmpty() ? QString() : tr(" with %1").arg(r.environment.join(u' '))));
        action->setStatusTip(action->toolTip());
    }
    m_recent->menuAction()->setEnabled(!recent.isEmpty() && m_trace->isEnabled());
}

void TraceActions::request(const TraceRequest& request)
{
    // A program gone since shows the dialog with the reason, rather than a run that fails at once.
    if (checkProgram(request).exitCode != 0) {
        TraceDialog dialog(m_window);
        dialog.setRequest(request);
        QMetaObject::invokeMethod(
            &dialog, [&dialog] { dialog.accept(); }, Qt::QueuedConnection);
        if (dialog.exec() == QDialog::Accepted)
            emit traceRequested(dialog.request());
        return;
    }
    tracehistory::remember(request);
    emit traceRequested(request);
}

} // namespace tl::ui
