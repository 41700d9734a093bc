import Foundation

/// A value behind a lock (`NSLock`: a pthread mutex). Synchronization's `Mutex` does the same, but
/// on Linux its futex path is invisible to ThreadSanitizer, which then reports the accesses it
/// guards as races (`make sanitize`: a frame list appended on the encoder's queue and emptied on
/// the decode loop); a pthread mutex is one TSan knows.
package final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    package init(_ value: Value) { self.value = value }

    package func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
