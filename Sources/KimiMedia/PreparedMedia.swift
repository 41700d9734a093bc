import Foundation
import KimiAPI
import MediaCodecs
import MediaCore

/// One input made ready for a Kimi request: an image's bytes (in memory), or a video's file (an
/// H.264 MP4 inside 2048×1080, or the original when it already is one) and its frames, with the
/// offline token estimate. ``RequestBuilder`` turns a list of them into a chat request, deciding
/// inline or upload for all of them together by the exact body size (``PayloadPlanner``).
public struct PreparedMedia: Sendable {
    /// What is sent: an image's bytes in memory, or a video file on disk.
    public enum Payload: Sendable {
        /// An image's encoded bytes.
        case image([UInt8])
        /// A video file on disk (inside the preparer's work folder, or the original).
        case video(path: String)
    }

    /// The input's path, or the name given with its bytes.
    public var source: String
    /// What the probe found in the input.
    public var info: MediaInfo
    /// What is sent: format, upright size and bytes.
    public var format: MediaFormat
    public var width: Int
    public var height: Int
    public var bytes: Int64
    public var payload: Payload
    /// Video frames written to the work folder (per ``VideoOptions/frames``).
    public var frames: [PreparedFrame]
    /// Offline tokens of the part: ``TokenEstimate/mediaTokens`` plus ``TokenEstimate/wrapperTokens``
    /// (`nil` for a video whose frame count is unknown).
    public var estimate: TokenEstimate?
    public var diagnostics: [Diagnostic]
    /// The folder holding this input's written files (frames, video); `nil` when nothing was written.
    /// The caller owns it: remove it when done.
    public var workFolder: String?
    /// A video split by ``VideoOptions/segments``: its parts, in order, each sent in a request of
    /// its own (``RequestBuilder/build(prompt:system:media:to:)`` with one part). The split video's
    /// own ``payload``, ``bytes`` and ``estimate`` are its first part's. Empty when not split.
    public var parts: [PreparedMedia] = []
    /// For a part: where it lies in its source (index of count, time range).
    public var segment: ManifestEntry.Output.Segment?

    public var kind: MediaKind { info.kind }

    /// The planner's view of this item, without a file for an image held in memory.
    var payloadItem: PayloadItem {
        switch payload {
        case .image: PayloadItem(path: "", format: format, bytes: bytes, tokens: estimate?.tokens)
        case .video(let file): PayloadItem(path: file, format: format, bytes: bytes, tokens: estimate?.tokens)
        }
    }

    /// The planner's item for this media, for a request body written to disk
    /// (``RequestBuilder/build(prompt:system:items:to:)`` streams each item from its file): an image's
    /// bytes are written (atomically) to `base` plus its format's extension first.
    public func payloadItem(storingImageAs base: String) throws(KimiMediaError) -> PayloadItem {
        guard case .image(let data) = payload else { return payloadItem }
        let path = base + "." + format.fileExtension
        do throws(MediaError) { try AtomicFile.write(data, to: path) } catch { throw .media(error) }
        var item = payloadItem
        item.path = path
        return item
    }
}

/// A frame taken out of a video, as a value: where it was written, when it is, its size and cost.
public struct PreparedFrame: Sendable, Hashable {
    public var path: String
    /// Presentation time in seconds from the start.
    public var seconds: Double
    public var keyframe: Bool
    public var width: Int
    public var height: Int
    public var bytes: Int
    /// Prompt tokens of the frame sent as an image.
    public var tokens: Int
}

/// One result of ``Preparer/prepare(_:jobs:workFolder:)``: the input and what became of it.
public struct PreparedResult: Sendable {
    public var url: URL
    public var result: Result<PreparedMedia, KimiMediaError>
}

extension Preparer {
    /// Prepares one file: probe → plan → decode → resize → encode (images, in memory), or the ≤ 2K
    /// video file and its frames (written into a new folder under `workFolder`, named by
    /// ``PreparedMedia/workFolder``; the caller owns it). Runs off the cooperative pool and honours
    /// cancellation, also mid-video; nothing is left behind on failure.
    public func prepare(_ url: URL, workFolder: URL = FileManager.default.temporaryDirectory) async throws(KimiMediaError) -> PreparedMedia {
        do { try imageOptions.validate(); try videoOptions.validate() } catch { throw .options(error) }
        let preparer = self, path = url.path, folder = workFolder.path
        return try await OffPool.run(path: path) { () throws(MediaError) in try preparer.prepareNow(path: path, name: path, workFolder: folder) }
    }

    /// Prepares media held in memory (`name` is used in messages and for its kind when the content
    /// does not say). The bytes are written once into the work folder for the decoders.
    public func prepare(_ data: Data, name: String = "input", workFolder: URL = FileManager.default.temporaryDirectory)
        async throws(KimiMediaError) -> PreparedMedia {
        do { try imageOptions.validate(); try videoOptions.validate() } catch { throw .options(error) }
        let preparer = self, root = workFolder.path
        return try await OffPool.run(path: name) { () throws(MediaError) in
            let folder = root + "/kimi-media-input-\(UUID().uuidString)"
            let file = folder + "/" + (URL(fileURLWithPath: name).lastPathComponent.isEmpty ? "input" : URL(fileURLWithPath: name).lastPathComponent)
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                try data.write(to: URL(fileURLWithPath: file))
            } catch {
                try? FileManager.default.removeItem(atPath: folder)
                throw MediaError(.io, path: name, stage: .read, "cannot stage the bytes in \(root): \(error.localizedDescription)")
            }
            let prepared: PreparedMedia
            do throws(MediaError) { prepared = try preparer.prepareNow(path: file, name: name, workFolder: root) } catch {
                try? FileManager.default.removeItem(atPath: folder)
                throw error
            }
            return Self.keepStaged(file, in: folder, for: prepared)
        }
    }

    /// The staged copy of in-memory bytes is removed, unless it is what is sent (a compliant video
    /// passed through): then it stays, inside the prepared media's own folder.
    static func keepStaged(_ file: String, in folder: String, for prepared: PreparedMedia) -> PreparedMedia {
        guard case .video(let sent) = prepared.payload, sent == file else {
            try? FileManager.default.removeItem(atPath: folder)
            return prepared
        }
        var kept = prepared
        if let own = prepared.workFolder {
            let target = own + "/" + URL(fileURLWithPath: file).lastPathComponent
            if (try? FileManager.default.moveItem(atPath: file, toPath: target)) != nil {
                kept.payload = .video(path: target)
                try? FileManager.default.removeItem(atPath: folder)
            }
        } else {
            kept.workFolder = folder
        }
        return kept
    }

    /// Prepares many files, `jobs` at a time (default: one per core, the cores shared among them),
    /// as an asynchronous sequence of results in input order; at most `jobs` are started ahead of
    /// the consumer, so one that stops reading stops the work, and cancelling it cancels the files
    /// in flight. A failure is a result; the others go on.
    public func prepare(_ urls: [URL], jobs: Int = ProcessInfo.processInfo.activeProcessorCount,
                        workFolder: URL = FileManager.default.temporaryDirectory) -> OrderedWindow<PreparedResult> {
        var shared = self
        shared.threadsPerImage = threads(beside: min(max(1, jobs), max(1, urls.count)))
        let preparer = shared
        return OrderedWindow(count: urls.count, window: jobs) { index in
            do throws(KimiMediaError) {
                return PreparedResult(url: urls[index], result: .success(try await preparer.prepare(urls[index], workFolder: workFolder)))
            } catch {
                return PreparedResult(url: urls[index], result: .failure(error))
            }
        }
    }

    /// The synchronous whole of one file, on the calling thread.
    func prepareNow(path: String, name: String, workFolder: String) throws(MediaError) -> PreparedMedia {
        let info = try MediaProber.probe(path: path, options: probeOptions)
        if info.kind == .image {
            let prepared = try prepare(image: path, info: info)
            return PreparedMedia(source: name, info: info, format: prepared.image.format, width: prepared.image.width,
                                 height: prepared.image.height, bytes: Int64(prepared.image.bytes.count), payload: .image(prepared.image.bytes),
                                 frames: [], estimate: prepared.estimate, diagnostics: prepared.image.diagnostics, workFolder: nil)
        }
        let folder = workFolder + "/kimi-media-\(UUID().uuidString)"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw MediaError(.io, path: folder, stage: .write, "cannot create the work folder: \(error.localizedDescription)")
        }
        do throws(MediaError) {
            var frames: [PreparedFrame] = []
            let (plan, diagnostics) = try prepare(video: path, info: info) { frame throws(MediaError) in
                try OffPool.checkCancellation(path, .decode)
                let file = folder + String(format: "/frame-%06d.jpg", frame.index + 1)
                try AtomicFile.writeNew(frame.image.bytes, to: file)
                let tokens = TokenEstimate.image(width: frame.image.width, height: frame.image.height, profile: profile).tokens
                frames.append(PreparedFrame(path: file, seconds: frame.timestampSeconds, keyframe: frame.keyframe, width: frame.image.width,
                                            height: frame.image.height, bytes: frame.image.bytes.count, tokens: tokens))
            }
            try OffPool.checkCancellation(path, .encode)
            let target = folder + "/video." + (plan.encode.action == .write ? MediaFormat.mp4 : info.format).fileExtension
            guard let written = try writeVideo(path, info: info, plan: plan, to: target) else {
                if frames.isEmpty { try? FileManager.default.removeItem(atPath: folder) }
                return PreparedMedia(source: name, info: info, format: info.format, width: info.width, height: info.height, bytes: info.bytes,
                                     payload: .video(path: path), frames: frames, estimate: plan.estimate, diagnostics: diagnostics,
                                     workFolder: frames.isEmpty ? nil : folder)
            }
            guard !written.parts.isEmpty else {
                return PreparedMedia(source: name, info: info, format: written.format, width: written.width, height: written.height,
                                     bytes: written.bytes, payload: .video(path: target), frames: frames, estimate: written.estimate,
                                     diagnostics: diagnostics + written.diagnostics, workFolder: folder)
            }
            let parts = written.parts.enumerated().map { i, part in
                PreparedMedia(source: name, info: info, format: .mp4, width: part.width, height: part.height, bytes: part.bytes,
                              payload: .video(path: folder + "/" + part.name), frames: [], estimate: part.estimate, diagnostics: [],
                              workFolder: folder,
                              segment: .init(index: i + 1, count: written.parts.count, startSeconds: part.startSeconds, endSeconds: part.endSeconds))
            }
            var whole = parts[0]
            whole.frames = frames
            whole.diagnostics = diagnostics + written.diagnostics
            whole.parts = parts
            whole.segment = nil
            return whole
        } catch {
            try? FileManager.default.removeItem(atPath: folder)
            throw error
        }
    }
}
