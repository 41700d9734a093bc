import Foundation
import KimiAPI
@_spi(Benchmarks) import KimiMedia
import MediaCodecs
import MediaCore

/// What each fuzz target feeds its bytes to. One entry point per target, shared by the libFuzzer
/// binary (`make fuzz`) and the regression tests, which replay every found input and the seed
/// corpora through the same code.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// The probe of every format: the bytes as a file, sniffed by content.
    case probe
    /// Probe, then the whole image path (decode, resize, orient, encode) of what probes as an image.
    case image
    /// Probe, then demux and decode of what probes as a video (up to four frames, encoded as JPEG).
    case video
    /// The batch manifest reader (`manifest.jsonl` lines, a partial last line, resume records).
    case manifest
    /// The API's answers: JSON bodies of every endpoint as the client decodes them, the 429 wait
    /// parsers, and a streamed chat's server-sent events (split into chunks where the input says).
    case api

    /// The folders of `Fixtures/` whose files seed this target's corpus (`kimi-media-fuzz seeds`).
    public var seedFolders: [String] {
        switch self {
        case .probe: ["images", "video", "convert", "quirks", "progressive", "invalid"]
        case .image: ["images", "convert", "quirks", "progressive"]
        case .video: ["video", "convert"]
        case .manifest, .api: []
        }
    }

    /// Seeds written in code, for the targets whose inputs are not media files: manifest lines as
    /// `prepare` writes them (an image, a video with frames, an error, a partial last line), and
    /// answers of every endpoint in the documented shapes (selector byte first, see ``FuzzHarness``).
    public var builtInSeeds: [Data] {
        switch self {
        case .manifest:
            let image = #"{"diagnostics":[],"error":null,"kind":"image","options":"v1-8a50a24a60af9a3f","outputs":[{"bytes":7932,"format":"png","height":120,"path":"convert/avif-alpha.png","tokens":35,"width":160}],"passthrough":false,"payload":{"bodyBytes":10598,"delivery":"inline"},"plan":{"diagnostics":[],"format":"png","height":120,"jpegScaleDenominator":1,"orientation":1,"passthrough":false,"quality":90,"resizeHeight":120,"resizeWidth":160,"tokens":30,"width":160},"probe":{"accepted":false,"animated":false,"audioCodec":null,"bitDepth":8,"bytes":1825,"colorModel":"rgb","convert":"encode","diagnostics":[],"durationSeconds":null,"exifOrientation":1,"format":"avif","frameCount":1,"frameRate":null,"hasAlpha":true,"hasAudio":false,"height":120,"keyframeCount":null,"keyframeInterval":null,"kind":"image","path":"in/a.avif","progressive":false,"rotation":0,"storedHeight":120,"storedWidth":160,"videoCodec":null,"width":160},"remoteTokens":null,"sha256":"3caa2ad75fbba4e9049679dba5612bde7588a07127c1acfbad173cecd26f17f7","source":"in/a.avif","sourceBytes":1825,"sourceModified":1795967991.0293021,"status":"ok","tokens":35}"#
            let video = #"{"diagnostics":[],"error":null,"kind":"video","options":"v1-8a50a24a60af9a3f","outputs":[{"bytes":29538,"format":"mp4","height":90,"path":"v/video.mp4","tokens":35,"width":160},{"bytes":5587,"format":"jpeg","height":90,"keyframe":true,"path":"v/frame-000001.jpg","timestampSeconds":0,"tokens":29,"width":160}],"passthrough":false,"payload":{"bodyBytes":39406,"delivery":"upload"},"plan":null,"probe":null,"remoteTokens":41,"sha256":null,"source":"in/v.mkv","sourceBytes":30000,"sourceModified":1795967991.5,"status":"ok","tokens":35}"#
            let error = #"{"diagnostics":[{"code":"skipped","message":"not media","stage":"plan"}],"error":{"code":"unsupportedFormat","message":"in/x.mp4: probe: has no video stream (audio only)"},"kind":null,"options":"v1-8a50a24a60af9a3f","outputs":[],"passthrough":false,"payload":null,"plan":null,"probe":null,"remoteTokens":null,"sha256":"d9553c17","source":"in/x.mp4","sourceBytes":5358,"sourceModified":1795967244.5614285,"status":"error","tokens":null}"#
            return [image + "\n" + video + "\n" + error + "\n", image + "\n" + String(error.prefix(90))].map { Data($0.utf8) }
        case .api:
            let bodies: [(UInt8, String)] = [
                (0x00, #"{"id":"cq1","object":"file","bytes":1024,"created_at":1715000000,"filename":"a.mp4","purpose":"video","status":"ready"}"#),
                (0x01, #"{"object":"list","data":[{"id":"cq1","object":"file","bytes":1,"created_at":1,"filename":"a.mp4","purpose":"video"}]}"#),
                (0x02, #"{"id":"cq1","object":"file","deleted":true}"#),
                (0x03, #"{"code":0,"data":{"total_tokens":81},"scode":"0x0","status":true}"#),
                (0x04, #"{"id":"c1","object":"chat.completion","created":1,"model":"kimi-k2.6","choices":[{"index":0,"message":{"role":"assistant","content":"hi","reasoning_content":"r"},"finish_reason":"stop"}],"usage":{"prompt_tokens":81,"completion_tokens":2,"total_tokens":83}}"#),
                (0x05, #"{"object":"list","data":[{"id":"kimi-k2.6","object":"model","created":1,"owned_by":"moonshot","context_length":262144,"supports_image_in":true,"supports_video_in":true}]}"#),
                (0x06, #"{"code":0,"data":{"available_balance":49.58,"voucher_balance":46.58,"cash_balance":3},"scode":"0x0","status":true}"#),
                (0x40, #"{"error":{"type":"rate_limit_reached_error","message":"request reached max request: 3, please try again after 1 seconds"}}"#),
                (0x07, "2\n1715000030"),
                (0x07, "please try again after 1.5 seconds"),
                (0x08, "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"r\"}}]}\n\n\u{FF}data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":\"stop\",\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}]}\n\ndata: [DONE]\n\n"),
            ]
            return bodies.map { selector, body in
                var data = Data([selector])
                // 0xFF marks a read boundary in stream seeds (not valid UTF-8, so written as a byte).
                data.append(contentsOf: body.unicodeScalars.map { $0.value == 0xFF ? 0xFF : UInt8(truncatingIfNeeded: $0.value) })
                return data
            }
        default:
            return []
        }
    }
}

/// How one input ended: taken (an image prepared, frames decoded, an answer decoded) or refused
/// with the typed error the user would see. Anything else — a signal, a sanitizer report, a hang —
/// is what the fuzzer looks for.
public enum FuzzOutcome: Sendable, Equatable {
    case accepted(String)
    case refused(String)
}

/// Runs inputs for one target; files go into a private folder (tmpfs when there is one), since
/// the probe and FFmpeg read paths.
public final class FuzzHarness: @unchecked Sendable {
    public let target: FuzzTarget
    let folder: String
    /// Smaller than the defaults so a header declaring a huge picture costs milliseconds, not a
    /// second: the code paths are the same, the fuzzer runs more inputs.
    let limits = MediaLimits(maxPixels: 16_000_000, maxAnimationFrames: 500, probeTimeoutSeconds: 5, probeBytes: 1 << 20, analyzeSeconds: 2)

    public init(target: FuzzTarget) {
        self.target = target
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        folder = base + "/kimi-media-fuzz-\(target.rawValue)-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    public func run(_ bytes: UnsafeRawBufferPointer) -> FuzzOutcome {
        switch target {
        case .probe, .image, .video: media(bytes)
        case .manifest: manifest(bytes)
        case .api: api(bytes)
        }
    }

    public func run(_ data: Data) -> FuzzOutcome {
        data.withUnsafeBytes { run($0) }
    }

    private func write(_ bytes: UnsafeRawBufferPointer, as name: String) -> String {
        let path = folder + "/" + name
        precondition(FileManager.default.createFile(atPath: path, contents: Data(bytes)), "cannot write the fuzz input to \(path)")
        return path
    }

    private func media(_ bytes: UnsafeRawBufferPointer) -> FuzzOutcome {
        let path = write(bytes, as: "input")
        let info: MediaInfo
        do { info = try MediaProber.probe(path: path, options: ProbeOptions(limits: limits)) } catch { return .refused(error.code.rawValue) }
        switch (target, info.kind) {
        case (.image, .image):
            do {
                let image = try ImageStages.prepare(path: path, info: info, options: ImageOptions(), threads: 1)
                precondition(image.width > 0 && image.height > 0 && !image.bytes.isEmpty, "an empty image was accepted")
                return .accepted("\(image.width)x\(image.height)")
            } catch { return .refused(error.code.rawValue) }
        case (.video, .video):
            var options = VideoOptions()
            options.maxFrames = 4
            options.maxSide = 320
            let plan = VideoPlan.make(for: info, options: options)
            var frames = 0
            do {
                _ = try FrameExtractor.extract(path: path, info: info, plan: plan, limits: limits, threads: 1) { frame in
                    precondition(!frame.image.bytes.isEmpty, "an empty frame was accepted")
                    frames += 1
                }
                return .accepted("\(frames) frames")
            } catch { return .refused(error.code.rawValue) }
        default:
            return .accepted(info.format.rawValue)
        }
    }

    private func manifest(_ bytes: UnsafeRawBufferPointer) -> FuzzOutcome {
        let path = write(bytes, as: "manifest.jsonl")
        do {
            let file = try ManifestFile(path: path)
            var entries = 0
            try file.forEachEntry { _ in entries += 1 }
            precondition(entries >= file.records.count, "more sources than lines")
            return .accepted("\(entries) entries")
        } catch { return .refused(error.code.rawValue) }
    }

    /// The first byte picks the endpoint's type (and the status); the rest is the body. For the
    /// stream, each 0xFF byte in the input marks where one network read ends.
    private func api(_ bytes: UnsafeRawBufferPointer) -> FuzzOutcome {
        guard let selector = bytes.first else { return .refused("empty") }
        let body = Data(bytes.dropFirst())
        let text = String(decoding: body, as: UTF8.self)
        let status = [200, 400, 401, 404, 429, 500, 503][Int(selector >> 4) % 7]
        let key = APIKey("sk-fuzz-0123456789abcdef")!
        func decode<T: Decodable>(_ type: T.Type) -> FuzzOutcome {
            switch MoonshotClient.decode(type, status: status, body: body, endpoint: "fuzz", key: key) {
            case .success: return .accepted(String(describing: type))
            case .failure(let error):
                precondition(!error.message.contains("sk-fuzz-0123456789abcdef"), "the key leaked into an error")
                return .refused(error.kind.rawValue)
            }
        }
        switch selector & 0x0F {
        case 0: return decode(FileObject.self)
        case 1: return decode(FileList.self)
        case 2: return decode(FileDeletion.self)
        case 3: return decode(EstimateResponse.self)
        case 4: return decode(ChatResponse.self)
        case 5: return decode(ModelList.self)
        case 6: return decode(BalanceResponse.self)
        case 7:
            let policy = RetryPolicy()
            let parts = text.split(separator: "\n", maxSplits: 1).map(String.init)
            let asked = RetryPolicy.serverDelay(retryAfter: parts.first, rateLimitReset: parts.last, now: 1.7e9)
                ?? RetryPolicy.messageDelay(text)
            let wait = min(policy.maxRateLimitDelay, asked ?? policy.delay(afterAttempt: 1, serverAsked: nil))
            precondition(wait >= 0 && wait <= policy.maxRateLimitDelay, "a wait of \(wait) s")
            _ = UInt64(policy.delay(afterAttempt: Int(selector >> 4) + 1, serverAsked: asked) * 1e9)
            return .accepted("wait \(wait)")
        default:
            var assembler = ChatStreamAssembler(endpoint: "fuzz", maxEventBytes: 1 << 16)
            do {
                for read in body.split(separator: 0xFF, omittingEmptySubsequences: false) { _ = try assembler.feed(read) }
                let events = try assembler.finish()
                guard case .finished = events.last else { preconditionFailure("a stream ended without its answer") }
                return .accepted("stream")
            } catch { return .refused(error.kind.rawValue) }
        }
    }
}
