import Foundation

/// The one way the client and the façade read a file's size: through symbolic links (FileManager's
/// attributes describe a link itself — a link's 253 bytes declared as the length of a body that
/// then streamed the target's megabytes).
package enum FileSize {
    /// The size in bytes of the file `path` names, links followed; `nil` when it cannot be read.
    package static func of(_ path: String) -> Int64? {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: target) else { return nil }
        return (attributes[.size] as? NSNumber)?.int64Value
    }
}
