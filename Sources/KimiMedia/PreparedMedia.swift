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
    /// The owner of the folder holding this input's written files.
    var folder: WorkFolder?
    /// The folder holding this input's written files (frames, video); `nil` when nothing was written
    /// (an image is held in memory). The library owns it: it is removed with the last copy of this
    /// value (and of its ``parts``), or at once by ``removeFiles()``; ``keepFiles()`` hands it to you.
    public var workFolder: String? { folder?.path }
    /// A video split by ``VideoOptions/segments``: its parts, in order, each sent in a request of
    /// its own (``RequestBuilder/build(prompt:system:media:to:)`` with one part). The split video's
    /// own ``payload``, ``bytes`` and ``estimate`` are its first part's. Empty when not split.
    public var parts: [PreparedMedia] = []
    /// For a part: where it lies in its source (index of count, time range).
    public var segment: ManifestEntry.Output.Segment?

    public var kind: MediaKind { info.kind }

    /// Removes the files written for this input now (its ``workFolder``, shared by its ``parts``
    /// and every copy of this value), instead of when the last copy is gone. Its ``payload`` and
    /// ``frames`` paths are then gone too.
    public func removeFiles() { folder?.remove() }

    /// Keeps the files written for this input after this value is gone: the folder is yours to
    /// move or remove. Returns its path (`nil` when nothing was written).
    @discardableResult
    public func keepFiles() -> String? { folder?.keep() }

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
    /// ``PreparedMedia/workFolder`` and removed with the last copy of the result unless you
    /// ``PreparedMedia/keepFiles()``). Runs off the cooperative pool and honours cancellation, also
    /// mid-video; a failure or a cancellation leaves nothing behind.
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
            let staged: WorkFolder
            do { staged = try WorkFolder(creating: root + "/kimi-media-input-\(UUID().uuidString)") } catch {
                throw MediaError(.io, path: name, stage: .read, "cannot stage the bytes in \(root): \(error.localizedDescription)")
            }
            let base = URL(fileURLWithPath: name).lastPathComponent
            let file = staged.path + "/" + (base.isEmpty ? "input" : base)
            do { try data.write(to: URL(fileURLWithPath: file)) } catch {
                throw MediaError(.io, path: name, stage: .read, "cannot stage the bytes in \(root): \(error.localizedDescription)")
            }
            return try withExtendedLifetime(staged) { () throws(MediaError) -> PreparedMedia in
                Self.keepStaged(file, in: staged, for: try preparer.prepareNow(path: file, name: name, workFolder: root))
            }
        }
    }

    /// The staged copy of in-memory bytes goes with its folder, unless it is what is sent (a
    /// compliant video passed through): then it moves into the prepared media's own folder, or its
    /// folder becomes the prepared media's.
    static func keepStaged(_ file: String, in staged: WorkFolder, for prepared: PreparedMedia) -> PreparedMedia {
        guard case .video(let sent) = prepared.payload, sent == file else { return prepared }
        var kept = prepared
        if let own = prepared.folder {
            let target = own.path + "/" + URL(fileURLWithPath: file).lastPathComponent
            if (try? FileManager.default.moveItem(atPath: file, toPath: target)) != nil {
                kept.payload = .video(path: target)
                return kept
            }
        }
        kept.folder = staged
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
                                 frames: [], estimate: prepared.estimate, diagnostics: prepared.image.diagnostics, folder: nil)
        }
        // Owned from its creation: whatever ends this call — a failure, a cancellation, a result
        // nobody takes — the folder goes with the last value that holds it.
        let owner: WorkFolder
        do { owner = try WorkFolder(creating: workFolder + "/kimi-media-\(UUID().uuidString)") } catch {
            throw MediaError(.io, path: workFolder, stage: .write, "cannot create the work folder: \(error.localizedDescription)")
        }
        return try withExtendedLifetime(owner) { () throws(MediaError) -> PreparedMedia in
            try prepareVideoNow(path: path, name: name, info: info, into: owner)
        }
    }

    /// A video's frames and file, written into `owner`'s folder.
    private func prepareVideoNow(path: String, name: String, info: MediaInfo, into owner: WorkFolder) throws(MediaError) -> PreparedMedia {
        let folder = owner.path
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
        let written = try writeVideo(path, info: info, plan: plan, to: target)
        // A cancellation the writer took for the end of its input must not pass for a whole video.
        try OffPool.checkCancellation(path, .encode)
        guard let written else {
            return PreparedMedia(source: name, info: info, format: info.format, width: info.width, height: info.height, bytes: info.bytes,
                                 payload: .video(path: path), frames: frames, estimate: plan.estimate, diagnostics: diagnostics,
                                 folder: frames.isEmpty ? nil : owner)
        }
        guard !written.parts.isEmpty else {
            return PreparedMedia(source: name, info: info, format: written.format, width: written.width, height: written.height,
                                 bytes: written.bytes, payload: .video(path: target), frames: frames, estimate: written.estimate,
                                 diagnostics: diagnostics + written.diagnostics, folder: owner)
        }
        let parts = written.parts.enumerated().map { i, part in
            PreparedMedia(source: name, info: info, format: .mp4, width: part.width, height: part.height, bytes: part.bytes,
                          payload: .video(path: folder + "/" + part.name), frames: [], estimate: part.estimate, diagnostics: [],
                          folder: owner,
                          segment: .init(index: i + 1, count: written.parts.count, startSeconds: part.startSeconds, endSeconds: part.endSeconds))
        }
        var whole = parts[0]
        whole.frames = frames
        whole.diagnostics = diagnostics + written.diagnostics
        whole.parts = parts
        whole.segment = nil
        return whole
    }
}
