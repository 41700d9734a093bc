import Foundation
import Synchronization

/// The folder of files the library wrote for one prepared input (a video's frames and file, or
/// bytes staged from memory), and the one owner of it: removed when the last ``PreparedMedia`` that
/// holds it is gone — whether the caller dropped it, a cancelled task never delivered it, or a
/// failure discarded it — or earlier by ``PreparedMedia/removeFiles()``; kept only when
/// ``PreparedMedia/keepFiles()`` hands it over.
final class WorkFolder: Sendable {
    let path: String
    private let kept = Atomic<Bool>(false)

    /// Creates the folder (and its parents) and owns it from here on.
    init(creating path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        self.path = path
    }

    /// Removes the folder and what it holds now (a no-op once kept or removed).
    func remove() {
        guard !kept.load(ordering: .acquiring) else { return }
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Hands the folder to the caller: it is no longer removed.
    func keep() -> String {
        kept.store(true, ordering: .releasing)
        return path
    }

    deinit { remove() }
}
