import Foundation
import Synchronization

/// A cancellation signal the synchronous decode path can see. The task that starts a file's work
/// sets it when it is cancelled; FFmpeg's interrupt callback reads it (so a long video stops within
/// one packet read, mid-decode or mid-encode) and frame callbacks read it between frames. The work
/// finds it on its own thread (``current``), so no decode API carries a parameter for it.
public final class MediaCancellation: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public func cancel() { flag.store(true, ordering: .relaxed) }
    public var isCancelled: Bool { flag.load(ordering: .relaxed) }

    /// This thread's signal: a pthread key, not `Thread.current.threadDictionary`, whose first
    /// store (an `NSMutableDictionary` boxing through `AnyHashable`) costs 3.4 M instructions of
    /// dynamic casts, a tenth of a small file's `prepare`.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        guard pthread_key_create(&key, nil) == 0 else { fatalError("no pthread key for the cancellation signal") }
        return key
    }()

    /// The signal of the work running on this thread, if any.
    public static var current: MediaCancellation? {
        pthread_getspecific(key).map { Unmanaged<MediaCancellation>.fromOpaque($0).takeUnretainedValue() }
    }

    /// Runs `body` on this thread with `self` as its ``current`` signal (held by this call while it
    /// is bound).
    public func bind<Value, Failure: Error>(_ body: () throws(Failure) -> Value) throws(Failure) -> Value {
        let previous = pthread_getspecific(Self.key)
        pthread_setspecific(Self.key, Unmanaged.passUnretained(self).toOpaque())
        defer {
            pthread_setspecific(Self.key, previous)
            withExtendedLifetime(self) {}
        }
        return try body()
    }
}
