import Foundation
import MediaCore

/// One line of `manifest.jsonl`: what happened to one input. The field names are a contract.
public struct ManifestEntry: Sendable, Codable, Hashable {
    /// `ok` (prepared), `skipped` (not media) or `error` (see the entry's `error`).
    public enum Status: String, Sendable, Codable, Hashable {
        case ok, error, skipped
    }

    /// One file written for the input, relative to the output folder.
    public struct Output: Sendable, Codable, Hashable {
        public var path: String
        public var format: MediaFormat
        public var width: Int
        public var height: Int
        public var bytes: Int
        /// Offline prompt tokens if sent as an image.
        public var tokens: Int
        /// Video frames only: when the frame is shown, in seconds from the stream's start.
        public var timestampSeconds: Double?
        /// Video frames only: whether the frame is a keyframe.
        public var keyframe: Bool?
        /// A part of a split video (`--segments`): its place and time range in the source.
        public var segment: Segment?

        /// Where a part of a split video lies in its source (seconds from the stream's start).
        public struct Segment: Sendable, Codable, Hashable {
            /// 1-based, of `count`.
            public var index: Int
            public var count: Int
            public var startSeconds: Double
            public var endSeconds: Double

            public init(index: Int, count: Int, startSeconds: Double, endSeconds: Double) {
                self.index = index
                self.count = count
                self.startSeconds = startSeconds
                self.endSeconds = endSeconds
            }
        }

        public init(path: String, format: MediaFormat, width: Int, height: Int, bytes: Int, tokens: Int,
                    timestampSeconds: Double? = nil, keyframe: Bool? = nil, segment: Segment? = nil) {
            self.segment = segment
            self.path = path
            self.format = format
            self.width = width
            self.height = height
            self.bytes = bytes
            self.tokens = tokens
            self.timestampSeconds = timestampSeconds
            self.keyframe = keyframe
        }
    }

    /// What the planner decided for the main output (an image, or the video file): inline as a data
    /// URL (its exact bytes in the body) or uploaded.
    public struct Payload: Sendable, Codable, Hashable {
        /// `inline` or `upload`, as ``PayloadPlanner`` decides for the output alone in a request.
        public var delivery: PayloadPlan.Delivery
        public var bodyBytes: Int64
        public init(delivery: PayloadPlan.Delivery, bodyBytes: Int64) {
            self.delivery = delivery
            self.bodyBytes = bodyBytes
        }
    }

    /// The plan of an image or a video.
    public enum Plan: Sendable, Hashable, Codable {
        case image(ImagePlan)
        case video(VideoPlan)

        public init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let video = try? c.decode(VideoPlan.self) { self = .video(video) } else { self = .image(try c.decode(ImagePlan.self)) }
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .image(let plan): try c.encode(plan)
            case .video(let plan): try c.encode(plan)
            }
        }
    }

    public var source: String
    public var kind: MediaKind?
    public var status: Status
    public var outputs: [Output]
    /// Offline total of the outputs' tokens.
    public var tokens: Int?
    public var passthrough: Bool
    public var diagnostics: [Diagnostic]
    public var error: MediaError.Summary?
    /// SHA-256 of the input's bytes, with its size and modification time: a rerun skips inputs
    /// whose content already has a completed line.
    public var sha256: String?
    public var sourceBytes: Int64?
    public var sourceModified: Double?
    /// The options the line was made with (a fingerprint): a rerun with other options redoes it.
    public var options: String?
    public var probe: MediaInfo?
    public var plan: Plan?
    public var payload: Payload?
    /// With `prepare --remote`: the API's count (`POST /v1/tokenizers/estimate-token-count`) for a
    /// request of one user message holding only this output (offline equivalent: `tokens` + 4).
    public var remoteTokens: Int?

    public init(source: String, kind: MediaKind?, status: Status, outputs: [Output] = [], tokens: Int? = nil,
                passthrough: Bool = false, diagnostics: [Diagnostic] = [], error: MediaError.Summary? = nil) {
        self.source = source
        self.kind = kind
        self.status = status
        self.outputs = outputs
        self.tokens = tokens
        self.passthrough = passthrough
        self.diagnostics = diagnostics
        self.error = error
    }

    private enum CodingKeys: String, CodingKey {
        case source, kind, status, outputs, tokens, passthrough, diagnostics, error
        case sha256, sourceBytes, sourceModified, options, probe, plan, payload, remoteTokens
    }

    /// Every key is written, `null` when absent, so readers see one shape.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(source, forKey: .source)
        try c.encode(kind, forKey: .kind)
        try c.encode(status, forKey: .status)
        try c.encode(outputs, forKey: .outputs)
        try c.encode(tokens, forKey: .tokens)
        try c.encode(passthrough, forKey: .passthrough)
        try c.encode(diagnostics, forKey: .diagnostics)
        try c.encode(error, forKey: .error)
        try c.encode(sha256, forKey: .sha256)
        try c.encode(sourceBytes, forKey: .sourceBytes)
        try c.encode(sourceModified, forKey: .sourceModified)
        try c.encode(options, forKey: .options)
        try c.encode(probe, forKey: .probe)
        try c.encode(plan, forKey: .plan)
        try c.encode(payload, forKey: .payload)
        try c.encode(remoteTokens, forKey: .remoteTokens)
    }
}

extension ManifestEntry {
    /// The entries of a manifest's complete lines (a partial last line, or one that does not
    /// decode, is left out).
    public static func entries(inJSONLines data: Data) -> [ManifestEntry] {
        let complete = data.lastIndex(of: 0x0A).map { data.prefix(through: $0) } ?? Data()
        let decoder = JSONDecoder()
        return complete.split(separator: 0x0A).compactMap { try? decoder.decode(ManifestEntry.self, from: Data($0)) }
    }

    /// `entries` as a manifest: one canonical JSON line each.
    public static func jsonLines(_ entries: [ManifestEntry]) -> [UInt8] {
        let encoder = JSONEncoder.canonical()
        return entries.reduce(into: []) { bytes, entry in bytes += ((try? encoder.encode(entry)) ?? Data()) + [0x0A] }
    }
}
