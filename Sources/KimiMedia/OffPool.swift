import Foundation
import MediaCore

/// Runs synchronous decode/encode work on a thread of its own, never on Swift's cooperative pool
/// (whose few threads a 2-second video decode, with its semaphore and group waits, would block).
/// The calling task's cancellation reaches the work through a ``MediaCancellation`` bound to that
/// thread: FFmpeg's reads stop within a packet, frame loops between frames; the call then throws
/// ``KimiMediaError/cancelled(path:)``.
enum OffPool {
    /// Stack for decoder threads: libjpeg, libpng and FFmpeg's frame threads want more than the
    /// 512 KiB default of secondary threads.
    static let stackSize = 8 << 20

    static func run<Value: Sendable>(path: String?, _ work: @escaping @Sendable () throws(MediaError) -> Value) async throws(KimiMediaError) -> Value {
        let cancellation = MediaCancellation()
        if Task.isCancelled { cancellation.cancel() }
        let outcome: Result<Value, MediaError> = await withTaskCancellationHandler {
            await detached {
                cancellation.bind { () -> Result<Value, MediaError> in
                    do throws(MediaError) { return .success(try work()) } catch { return .failure(error) }
                }
            }
        } onCancel: {
            cancellation.cancel()
        }
        switch outcome {
        case .success(let value):
            if cancellation.isCancelled { throw .cancelled(path: path) }
            return value
        case .failure(let error):
            throw cancellation.isCancelled || error.code == .cancelled ? .cancelled(path: path) : .media(error)
        }
    }

    /// Runs `work` on a thread of its own and returns what it returns (work that reports its own
    /// failures, e.g. the batch's per-file outcome). `background`: the thread runs at the lowest
    /// priority (nice 19), on the time the decoders leave — the input's hash, which no output
    /// waits for, then costs a video's keyframes almost nothing (a 156 MB clip's SHA-256 is 120 ms
    /// of CPU, 30 % of the 4K keyframe run it used to compete with).
    static func detached<Value: Sendable>(background: Bool = false, _ work: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { (continuation: CheckedContinuation<Value, Never>) in
            startThread {
                #if os(Linux)
                // Linux keeps the nice value per thread: who 0 is this thread alone.
                if background { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19) }
                #endif
                continuation.resume(returning: work())
            }
        }
    }

    /// Like ``detached(background:_:)`` with a wall-clock budget: after `timeout` seconds the work's
    /// ``MediaCancellation`` is set (FFmpeg reads and frame loops stop), and if the work has still
    /// not returned `grace` seconds later — a decoder stuck inside a C library, which nothing can
    /// interrupt — the wait ends without it: the thread is left to finish on its own and whatever it
    /// returns is dropped. `timedOut` is true whenever the budget was passed (the work's own result,
    /// if it came back within the grace, is then a cancellation's, not a result).
    static func detached<Value: Sendable>(timeout: Double?, grace: Double = 5,
                                          _ work: @escaping @Sendable () -> Value) async -> (value: Value?, timedOut: Bool) {
        let cancellation = MediaCancellation()
        let race = Race<Value>()
        return await withCheckedContinuation { (continuation: CheckedContinuation<(value: Value?, timedOut: Bool), Never>) in
            race.set(continuation)
            startThread { race.finish(cancellation.bind { work() }) }
            guard let timeout, timeout > 0 else { return }
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                guard race.expire() else { return }
                cancellation.cancel()
                DispatchQueue.global().asyncAfter(deadline: .now() + grace) { race.abandon() }
            }
        }
    }

    /// A thread of its own for `body`, with the decoders' stack.
    private static func startThread(_ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.stackSize = stackSize
        thread.name = "kimi-media-work"
        thread.start()
    }

    /// The work and its timer: whichever ends the wait first resumes it, once.
    private final class Race<Value: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var continuation: CheckedContinuation<(value: Value?, timedOut: Bool), Never>?
        private var expired = false

        func set(_ continuation: CheckedContinuation<(value: Value?, timedOut: Bool), Never>) { lock.withLock { self.continuation = continuation } }

        /// The budget is spent: `false` when the work has already returned.
        func expire() -> Bool {
            lock.withLock {
                guard continuation != nil else { return false }
                expired = true
                return true
            }
        }

        func finish(_ value: Value) {
            let (waiting, late) = lock.withLock { () -> (CheckedContinuation<(value: Value?, timedOut: Bool), Never>?, Bool) in
                defer { continuation = nil }
                return (continuation, expired)
            }
            waiting?.resume(returning: (value, late))
        }

        func abandon() {
            let waiting = lock.withLock { () -> CheckedContinuation<(value: Value?, timedOut: Bool), Never>? in
                defer { continuation = nil }
                return continuation
            }
            waiting?.resume(returning: (nil, true))
        }
    }

    /// Throws `.cancelled` inside the work when its task was cancelled (for loops between frames).
    static func checkCancellation(_ path: String, _ stage: PipelineStage) throws(MediaError) {
        if MediaCancellation.current?.isCancelled == true { throw MediaError(.cancelled, path: path, stage: stage, "cancelled") }
    }
}
