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

    private static let key = "kimi-media.cancellation"

    /// The signal of the work running on this thread, if any.
    public static var current: MediaCancellation? { Thread.current.threadDictionary[key] as? MediaCancellation }

    /// Runs `body` on this thread with `self` as its ``current`` signal.
    public func bind<Value, Failure: Error>(_ body: () throws(Failure) -> Value) throws(Failure) -> Value {
        let dictionary = Thread.current.threadDictionary
        let previous = dictionary[Self.key]
        dictionary[Self.key] = self
        defer { dictionary[Self.key] = previous }
        return try body()
    }
}
