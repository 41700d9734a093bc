import Foundation
import KimiAPI
import MediaCodecs
import MediaCore

/// One input made ready for a Kimi request: an image's bytes (in memory), or a video's file (an
/// H.264 MP4 inside 2048×1080, or the original when it already is one) and its frames, with the
/// offline token count. ``contentPart(client:cache:delivery:)`` turns it into a message part.
public struct PreparedMedia: Sendable {
    public enum Payload: Sendable {
        /// An image's encoded bytes.
        case image([UInt8])
        /// A video file on disk (inside the preparer's work folder, or the original).
        case video(path: String)
    }

    /// How the part carries the media.
    public enum Delivery: Sendable, Hashable {
        /// Inline when the data URL fits `inlineLimit`, else uploaded; videos are uploaded whenever a
        /// client is given (as Moonshot's own client does).
        case auto(inlineLimit: Int64 = APILimits.default.maxRequestBodyBytes)
        case inline
        case upload
    }

    public var source: String
    public var info: MediaInfo
    public var format: MediaFormat
    public var width: Int
    public var height: Int
    public var bytes: Int64
    public var payload: Payload
    /// Video frames written beside the video file (per ``VideoOptions/frames``).
    public var frames: [String]
    /// Offline prompt tokens of the part.
    public var tokens: Int?
    public var diagnostics: [Diagnostic]

    public var kind: MediaKind { info.kind }

    /// The `image_url` / `video_url` part: a base64 data URL, or `ms://ID` after an upload through
    /// `client` (once per content, per ``UploadCache``).
    public func contentPart(client: MoonshotClient? = nil, cache: UploadCache = UploadCache(),
                            delivery: Delivery = .auto()) async throws -> ContentPart {
        let dataURLBytes = APILimits.dataURLBytes(contentBytes: bytes, mimeType: format.mimeType)
        let upload: Bool
        switch delivery {
        case .inline: upload = false
        case .upload: upload = true
        case .auto(let limit): upload = client != nil && (kind == .video || dataURLBytes > limit)
        }
        if upload {
            guard let client else { throw RequestBuildError("uploading \(source) needs a MoonshotClient (an API key)") }
            switch payload {
            case .video(let file):
                return try await client.uploadedPart(path: file, kind: kind, format: format, cache: cache)
            case .image(let data):
                let path = FileManager.default.temporaryDirectory.appendingPathComponent("kimi-media-\(UUID().uuidString).\(format.fileExtension)").path
                try AtomicFile.write(data, to: path)
                defer { try? FileManager.default.removeItem(atPath: path) }
                return try await client.uploadedPart(path: path, kind: kind, format: format, cache: cache)
            }
        }
        switch payload {
        case .image(let bytes): return .inline(Data(bytes), kind: kind, format: format)
        case .video(let path): return .inline(try Data(contentsOf: URL(fileURLWithPath: path)), kind: kind, format: format)
        }
    }
}

extension Preparer {
    /// Prepares one file for a request: probe → plan → decode → resize → encode (images, in memory),
    /// or the ≤ 2K video file and frames (videos, written under `workFolder`, which the caller owns).
    public func prepare(_ url: URL, workFolder: URL = FileManager.default.temporaryDirectory) async throws -> PreparedMedia {
        let path = url.path
        let info = try MediaProber.probe(path: path, options: probeOptions)
        if info.kind == .image {
            let prepared = try prepare(image: path, info: info)
            return PreparedMedia(source: path, info: info, format: prepared.image.format, width: prepared.image.width,
                                 height: prepared.image.height, bytes: Int64(prepared.image.bytes.count), payload: .image(prepared.image.bytes),
                                 frames: [], tokens: prepared.tokens, diagnostics: prepared.image.diagnostics)
        }
        let folder = workFolder.appendingPathComponent("kimi-media-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var frames: [String] = []
        let (plan, diagnostics) = try prepare(video: path, info: info) { frame throws(MediaError) in
            let name = folder + String(format: "/frame-%06d.jpg", frame.index + 1)
            try AtomicFile.write(frame.image.bytes, to: name)
            frames.append(name)
        }
        let target = folder + "/video." + (plan.encode.action == .write ? MediaFormat.mp4 : info.format).fileExtension
        guard let written = try writeVideo(path, info: info, plan: plan, to: target) else {
            return PreparedMedia(source: path, info: info, format: info.format, width: info.width, height: info.height, bytes: info.bytes,
                                 payload: .video(path: path), frames: frames, tokens: plan.estimate?.tokens, diagnostics: diagnostics)
        }
        return PreparedMedia(source: path, info: info, format: written.format, width: written.width, height: written.height,
                             bytes: written.bytes, payload: .video(path: target), frames: frames, tokens: written.tokens,
                             diagnostics: diagnostics + written.diagnostics)
    }

    /// Prepares many files, `jobs` at a time, delivering results in input order as each (and all
    /// before it) is done; a failure is a result, the others go on.
    public func prepare(_ urls: [URL], jobs: Int = ProcessInfo.processInfo.activeProcessorCount,
                        workFolder: URL = FileManager.default.temporaryDirectory) -> AsyncStream<(URL, Result<PreparedMedia, any Error>)> {
        let preparer = self
        return AsyncStream { continuation in
            let task = Task {
                await withTaskGroup(of: (Int, Result<PreparedMedia, any Error>).self) { group in
                    var next = 0, emitted = 0
                    var pending: [Int: Result<PreparedMedia, any Error>] = [:]
                    func start() {
                        guard next < urls.count else { return }
                        let index = next
                        next += 1
                        group.addTask {
                            do { return (index, .success(try await preparer.prepare(urls[index], workFolder: workFolder))) } catch {
                                return (index, .failure(error))
                            }
                        }
                    }
                    for _ in 0..<max(1, jobs) { start() }
                    for await (index, result) in group {
                        pending[index] = result
                        while let ready = pending.removeValue(forKey: emitted) {
                            continuation.yield((urls[emitted], ready))
                            emitted += 1
                        }
                        start()
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
