import MediaCodecs
import MediaCore

/// Probes media from headers: the first stage of every `kimi-media` job, usable on its own.
///
/// ```swift
/// let info = try Prober().probe(path: "photo.jpg")
/// print(info.width, info.height, info.accepted)
/// ```
public struct Prober: Sendable {
    public var options: ProbeOptions

    public init(options: ProbeOptions = ProbeOptions()) {
        self.options = options
    }

    /// Probes one file. Never decodes the pixels of a still image; reads a video's headers and a
    /// bounded stream-info pass only. Throws a ``MediaError`` naming the file and the stage.
    public func probe(path: String) throws(MediaError) -> MediaInfo {
        try MediaProber.probe(path: path, options: options)
    }

    /// Probes every input (files, and media files found in folders) concurrently, delivering the
    /// results in input order as soon as each one and all before it are done (at most 4 × `jobs`
    /// started ahead of the consumer: a slow file does not stall the others).
    public func probe(inputs paths: [String], jobs: Int) -> OrderedWindow<ProbeResult> {
        let inputs = InputWalker.expand(paths)
        let options = options
        return OrderedWindow(count: inputs.count, window: max(1, jobs) * 4) { index in Self.probe(inputs[index], options: options) }
    }

    private static func probe(_ input: InputWalker.Input, options: ProbeOptions) -> ProbeResult {
        switch input {
        case .unreadable(let path, let summary):
            return ProbeResult(path: path, outcome: .failure(MediaErrorBox(summary)))
        case .file(let path, _), .unsupported(let path, _):
            do throws(MediaError) {
                return ProbeResult(path: path, outcome: .success(try MediaProber.probe(path: path, options: options)))
            } catch {
                return ProbeResult(path: path, outcome: .failure(MediaErrorBox(error.summary)))
            }
        }
    }
}
