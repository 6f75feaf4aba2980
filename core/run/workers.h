#pragma once

#include "runcontext.h"

#include <QString>
#include <functional>

namespace tl {

enum class Backend { StdThread, ThreadPool };

// What one worker does, on whichever thread runs it. Started/Finished are recorded around it.
using WorkerBody = std::function<void(std::uint32_t worker, Recorder& rec)>;

// Runs `body` as `worker` on the calling thread: names the thread, records Started and Finished around it,
// and reports the worker's figure `elapsed_ns`.
void runAsWorker(RunContext& ctx, std::uint32_t worker, const WorkerBody& body);
// The same on a thread the scenario made for the worker, where an exception would end ThreadLab
// (std::terminate): the run fails instead, and says why. `body` is held by reference (a std::function of a
// std::ref allocates nothing), so even out of memory nothing can throw before the worker's failure is caught.
namespace detail {
void runOnOwnThread(RunContext& ctx, std::uint32_t worker, const WorkerBody& body);
}
template <typename Body> void runOnOwnThread(RunContext& ctx, std::uint32_t worker, Body&& body)
{
    detail::runOnOwnThread(ctx, worker, WorkerBody(std::ref(body)));
}

// Runs `body` once per worker and returns when all have finished (they should watch ctx.stopRequested()).
// StdThread: one std::thread per worker. ThreadPool: a QThreadPool sized to the workers, with Enqueued
// recorded when a task is handed over, so queued time shows apart from running time.
void runWorkers(RunContext& ctx, Backend backend, const std::vector<std::uint32_t>& workers, const WorkerBody& body);

// Adds `count` workers named "<prefix>-1".."<prefix>-count" and returns their ids.
std::vector<std::uint32_t> addWorkers(RunContext& ctx, int count, const QString& prefix);

} // namespace tl

namespace tl {

// Keeps the CPU busy for `duration` (real work, not a sleep); returns early when the run is stopped.
void burnCpu(const RunContext& ctx, std::chrono::nanoseconds duration);

// Reports a worker's lock figures (wait_ns, hold_ns, acquisitions, longest_wait_ns) as its per-worker figures,
// if it took a lock at all.
void reportLockStats(RunContext& ctx, std::uint32_t worker, const LockStats& stats);

// The per-worker figures every run may report (the summary's tid, runAsWorker's elapsed_ns, the lock
// figures), in reading order: the results panel puts a scenario's own after them.
QStringList commonWorkerFigures();

} // namespace tl
