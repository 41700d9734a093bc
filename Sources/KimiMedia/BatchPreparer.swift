import Foundation
import MediaCodecs
import MediaCore

/// Runs ``Preparer`` over many inputs, `jobs` files at a time: writes each prepared file atomically
/// under the output folder and one ``ManifestEntry`` per input to `manifest.jsonl`, in input order.
/// A failing input is recorded and the batch goes on; originals are only ever read.
public struct BatchPreparer: Sendable {
    public var preparer: Preparer
    public var jobs: Int

    public init(preparer: Preparer, jobs: Int) {
        self.preparer = preparer
        self.jobs = max(1, jobs)
    }

    public static let manifestName = "manifest.jsonl"

    /// Prepares `paths` (files and folders) into `outputFolder`; `onEntry` sees each manifest entry
    /// as it is written. Returns every entry in input order.
    @discardableResult
    public func run(_ paths: [String], into outputFolder: String,
                    onEntry: @Sendable (ManifestEntry) -> Void = { _ in }) async throws(MediaError) -> [ManifestEntry] {
        let inputs = InputWalker.expand(paths)
        let manifestPath = outputFolder + "/" + Self.manifestName
        do {
            try FileManager.default.createDirectory(atPath: outputFolder, withIntermediateDirectories: true)
        } catch {
            throw MediaError(.io, path: outputFolder, stage: .write, "cannot create the output folder: \(error.localizedDescription)")
        }
        guard FileManager.default.createFile(atPath: manifestPath, contents: nil),
              let manifest = FileHandle(forWritingAtPath: manifestPath)
        else { throw MediaError(.io, path: manifestPath, stage: .write, "cannot create the manifest") }
        defer { try? manifest.close() }

        var names = OutputNames()
        let preparer = preparer
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var entries: [ManifestEntry] = []
        var writeError: MediaError?

        // Output names depend on the output format, known after planning: they are given out in
        // input order as results are written, so parallel runs name files identically.
        await withTaskGroup(of: (Int, Outcome).self) { group in
            var next = 0
            var done: [Int: Outcome] = [:]
            func start() {
                guard next < inputs.count else { return }
                let index = next, input = inputs[index]
                next += 1
                group.addTask { (index, Self.prepare(input, preparer, outputFolder: outputFolder)) }
            }
            for _ in 0..<jobs { start() }
            var emitted = 0
            for await (index, outcome) in group {
                done[index] = outcome
                while let ready = done[emitted] {
                    let entry = Self.finish(ready, input: inputs[emitted], names: &names, outputFolder: outputFolder)
                    if let line = try? encoder.encode(entry) {
                        do {
                            try manifest.write(contentsOf: line + [0x0A])
                        } catch {
                            writeError = MediaError(.io, path: manifestPath, stage: .write, "cannot append to the manifest: \(error)")
                        }
                    }
                    onEntry(entry)
                    entries.append(entry)
                    done[emitted] = nil
                    emitted += 1
                }
                start()
            }
        }
        if let writeError { throw writeError }
        return entries
    }

    /// What one child task hands back: the prepared bytes stay in memory only until written.
    enum Outcome: Sendable {
        case image(PreparedImage)
        /// Frames already written (atomically) to a hidden temporary folder inside the output folder.
        case video(PreparedVideo)
        case failed(MediaError.Summary, MediaKind?)
        case skipped(String, MediaKind?)
    }

    static func prepare(_ input: InputWalker.Input, _ preparer: Preparer, outputFolder: String) -> Outcome {
        switch input {
        case .unreadable(_, let summary):
            return .failed(summary, nil)
        case .file(let path, _):
            let info: MediaInfo
            do throws(MediaError) {
                info = try MediaProber.probe(path: path, options: preparer.probeOptions)
            } catch {
                return .failed(error.summary, nil)
            }
            guard info.kind == .image else { return prepareVideo(path, info, preparer, outputFolder: outputFolder) }
            do throws(MediaError) {
                return .image(try preparer.prepare(image: path, info: info))
            } catch {
                return .failed(error.summary, info.kind)
            }
        }
    }

    /// Frames go to `OUT/.kimi-media-<uuid>/frame-NNNNNN.jpg` as they are made; `finish` renames the
    /// folder into place, so a video's frames appear together or not at all.
    static func prepareVideo(_ path: String, _ info: MediaInfo, _ preparer: Preparer, outputFolder: String) -> Outcome {
        let temporary = outputFolder + "/.kimi-media-\(UUID().uuidString)"
        var frames: [PreparedVideo.Frame] = []
        do throws(MediaError) {
            do {
                try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
            } catch {
                throw MediaError(.io, path: temporary, stage: .write, "cannot create a folder for the video's outputs: \(error.localizedDescription)")
            }
            let (plan, diagnostics) = try preparer.prepare(video: path, info: info) { frame throws(MediaError) in
                let name = String(format: "frame-%06d.jpg", frame.index + 1)
                try AtomicFile.write(frame.image.bytes, to: temporary + "/" + name)
                frames.append(PreparedVideo.Frame(name: name, timestampSeconds: frame.timestampSeconds, keyframe: frame.keyframe,
                                                  width: frame.image.width, height: frame.image.height, bytes: frame.image.bytes.count))
            }
            let plannedName = "video." + (plan.encode.action == .write ? MediaFormat.mp4 : info.format).fileExtension
            let written = try preparer.writeVideo(path, info: info, plan: plan, to: temporary + "/" + plannedName)
            return .video(PreparedVideo(info: info, plan: plan, folder: temporary, frames: frames, video: written.map { (plannedName, $0) },
                                        diagnostics: diagnostics + (written?.diagnostics ?? [])))
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            return .failed(error.summary, .video)
        }
    }

    /// Writes the prepared file (atomically) and makes the manifest entry.
    static func finish(_ outcome: Outcome, input: InputWalker.Input, names: inout OutputNames,
                       outputFolder: String) -> ManifestEntry {
        let source = input.path
        // Outputs are named after the input's path below the folder it was found in.
        var relative = source
        if case .file(_, let below) = input { relative = below }
        switch outcome {
        case .image(let prepared):
            let name = names.name(for: relative, format: prepared.image.format)
            do throws(MediaError) {
                try AtomicFile.write(prepared.image.bytes, to: outputFolder + "/" + name)
            } catch {
                return ManifestEntry(source: source, kind: .image, status: .error, error: error.summary)
            }
            let output = ManifestEntry.Output(path: name, format: prepared.image.format, width: prepared.image.width,
                                              height: prepared.image.height, bytes: prepared.image.bytes.count, tokens: prepared.tokens)
            return ManifestEntry(source: source, kind: .image, status: .ok, outputs: [output], tokens: prepared.tokens,
                                 passthrough: prepared.image.passthrough, diagnostics: prepared.image.diagnostics)
        case .video(let video):
            let folder = names.folder(for: relative)
            let final = outputFolder + "/" + folder
            try? FileManager.default.removeItem(atPath: final)  // a previous run's frames of this input
            do {
                try FileManager.default.createDirectory(atPath: (final as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try FileManager.default.moveItem(atPath: video.folder, toPath: final)
            } catch {
                try? FileManager.default.removeItem(atPath: video.folder)
                let failure = MediaError(.io, path: final, stage: .write, "cannot move the frames into place: \(error.localizedDescription)")
                return ManifestEntry(source: source, kind: .video, status: .error, error: failure.summary)
            }
            var outputs = video.video.map { name, v in
                [ManifestEntry.Output(path: folder + "/" + name, format: v.format, width: v.width, height: v.height, bytes: Int(v.bytes),
                                      tokens: v.tokens ?? 0)]
            } ?? []
            outputs += video.frames.map { f in
                ManifestEntry.Output(path: folder + "/" + f.name, format: .jpeg, width: f.width, height: f.height, bytes: f.bytes,
                                     tokens: video.plan.frameTokens, timestampSeconds: f.timestampSeconds, keyframe: f.keyframe)
            }
            return ManifestEntry(source: source, kind: .video, status: .ok, outputs: outputs,
                                 tokens: video.video?.1.tokens ?? video.plan.estimate?.tokens,
                                 passthrough: video.video?.1.passthrough ?? false, diagnostics: video.diagnostics)
        case .failed(let summary, let kind):
            return ManifestEntry(source: source, kind: kind, status: .error, error: summary)
        case .skipped(let reason, let kind):
            return ManifestEntry(source: source, kind: kind, status: .skipped,
                                 diagnostics: [Diagnostic(code: "skipped", stage: .plan, message: reason)])
        }
    }
}

/// A video whose frames have been written to a temporary folder.
struct PreparedVideo: Sendable {
    struct Frame: Sendable {
        var name: String
        var timestampSeconds: Double
        var keyframe: Bool
        var width: Int
        var height: Int
        var bytes: Int
    }

    var info: MediaInfo
    var plan: VideoPlan
    var folder: String
    var frames: [Frame]
    /// The video file written beside the frames (its name in the folder), if any.
    var video: (String, WrittenVideo)?
    var diagnostics: [Diagnostic]
}
