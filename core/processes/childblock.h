#pragma once

#include "../trace/recorder.h"

#include <atomic>
#include <cstdint>

namespace tl {

// The start of every child process's shared segment: what the child tells its parent without a message,
// followed by the child's event recorder, which the parent's collector drains like any other.
struct ChildBlock {
    static constexpr std::size_t kRecorderOffset = 64;
    static constexpr std::size_t kRecorderEvents = std::size_t(1) << 16;

    std::atomic<std::int64_t> cpuNs { 0 }; // written as the child finishes
    std::atomic<std::int64_t> gauge { 0 }; // one live figure the child publishes (a queue's depth, ...)
    std::atomic<std::int64_t> startedNs { 0 }; // clock::monotonicNs() when the child reported for duty
    std::atomic<std::int64_t> copiedBytes { 0 }; // input the child read through a pipe (a forked child: none)

    static std::size_t bytes() { return kRecorderOffset + Recorder::bytesFor(kRecorderEvents); }
    void* recorderMemory() { return reinterpret_cast<char*>(this) + kRecorderOffset; }
};
static_assert(sizeof(ChildBlock) <= ChildBlock::kRecorderOffset);

} // namespace tl
