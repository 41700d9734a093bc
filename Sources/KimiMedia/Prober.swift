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

    /// Probes every input (files, and media files found in folders), `jobs` at a time, delivering
    /// the results in input order as soon as each one and all before it are done.
    public func probe(inputs paths: [String], jobs: Int) -> AsyncStream<ProbeResult> {
        let inputs = InputWalker.expand(paths)
        let options = options
        return AsyncStream { continuation in
            let task = Task {
                await withTaskGroup(of: (Int, ProbeResult).self) { group in
                    var next = 0
                    var pending: [Int: ProbeResult] = [:]
                    var emitted = 0
                    func start() {
                        guard next < inputs.count else { return }
                        let index = next, input = inputs[index]
                        next += 1
                        group.addTask {
                            (index, Self.probe(input, options: options))
                        }
                    }
                    for _ in 0..<max(1, jobs) { start() }
                    for await (index, result) in group {
                        pending[index] = result
                        while let ready = pending.removeValue(forKey: emitted) {
                            continuation.yield(ready)
                            emitted += 1
                        }
                        if Task.isCancelled { break }
                        start()
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
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
