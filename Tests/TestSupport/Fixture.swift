import Foundation

/// Paths of the committed fixtures, found from this file's location (never the working directory).
public enum Fixture {
    /// The package root: three levels above `Tests/TestSupport/Fixture.swift`.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static let root = packageRoot.appendingPathComponent("Fixtures")

    public static func image(_ name: String) -> String { root.appendingPathComponent("images/\(name)").path }
    public static func video(_ name: String) -> String { root.appendingPathComponent("video/\(name)").path }
    public static func invalid(_ name: String) -> String { root.appendingPathComponent("invalid/\(name)").path }

    /// `jpeg-orientation-N.jpg`: the upright 96×64 quadrant picture stored for EXIF orientation N.
    public static func jpegOrientation(_ n: Int) -> String { image("jpeg-orientation-\(n).jpg") }

    /// Names of the files in a fixture folder (`images`, `video`, `invalid`), sorted.
    public static func names(in folder: String) -> [String] {
        let url = root.appendingPathComponent(folder)
        return ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }
}

/// A temporary folder removed when the value is released.
public final class TemporaryFolder: @unchecked Sendable {
    public let url: URL
    public var path: String { url.path }

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("kimi-media-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `bytes` to `name` inside the folder (creating subfolders) and returns the path.
    @discardableResult
    public func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file)
        return file.path
    }

    /// Copies a fixture into the folder under `name`.
    @discardableResult
    public func copy(_ source: String, as name: String) throws -> String {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: source, toPath: file.path)
        return file.path
    }
}

/// Set by `make sanitize` (`KIMI_MEDIA_SANITIZER=address` or `thread`): memory- and time-bound
/// expectations are skipped there, since the sanitizer's shadow memory dominates the peak and its
/// checks slow every access (ThreadSanitizer ~5–15×); the plain run checks them.
public let underSanitizer = ProcessInfo.processInfo.environment["KIMI_MEDIA_SANITIZER"] != nil

/// Under ThreadSanitizer (`make sanitize`), whose runtime cannot start under a small file-size limit.
public let underThreadSanitizer = ProcessInfo.processInfo.environment["KIMI_MEDIA_SANITIZER"] == "thread"
