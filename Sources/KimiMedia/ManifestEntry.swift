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
        /// A tile of a tiled image (`--tiles auto`): its place, box and tokens, in reading order.
        public var tile: ImageTile?

        /// Where a part of a split video lies in its source (the engine's own, ``PreparedMedia/Segment``).
        public typealias Segment = PreparedMedia.Segment

        public init(path: String, format: MediaFormat, width: Int, height: Int, bytes: Int, tokens: Int,
                    timestampSeconds: Double? = nil, keyframe: Bool? = nil, segment: Segment? = nil, tile: ImageTile? = nil) {
            self.segment = segment
            self.tile = tile
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

    /// The plan of an image or a video (the engine's own, ``MediaPlan``).
    public typealias Plan = MediaPlan

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
    /// What says which content a line was made from: the input's SHA-256, size and modification time.
    public struct Identity: Sendable, Hashable {
        public var sha256: String
        public var bytes: Int64
        public var modified: Double?
    }

    /// The line of an input the engine prepared (``PreparedMedia``), its files now at `name` in the
    /// output folder: an image's file `name`, or a video's folder `name/` (frames, the video file
    /// or its parts). `payload` is the planner's decision for a file alone in a request. The one
    /// place a manifest line is made from a result: the manifest's shapes are derived from the
    /// engine's types, never the other way round.
    init(prepared media: PreparedMedia, source: String, at name: String, identity: Identity,
         payload: (MediaFormat, Int64) -> Payload?) {
        var outputs: [Output]
        switch media.payload {
        case .image where !media.tiles.isEmpty:
            outputs = media.tiles.map { tile in
                Output(path: name + "/" + Self.tileName(tile), format: tile.format, width: tile.width, height: tile.height, bytes: Int(tile.bytes),
                       tokens: tile.estimate?.tokens ?? 0, tile: tile.tile)
            }
        case .image:
            outputs = [Output(path: name, format: media.format, width: media.width, height: media.height, bytes: Int(media.bytes),
                              tokens: media.estimate?.tokens ?? 0)]
        case .video:
            let files = media.parts.isEmpty ? [media] : media.parts
            outputs = files.compactMap { file in
                guard case .video(let path) = file.payload, media.isWrittenFile(path) else { return nil }
                return Output(path: name + "/" + URL(fileURLWithPath: path).lastPathComponent, format: file.format, width: file.width,
                              height: file.height, bytes: Int(file.bytes), tokens: file.estimate?.tokens ?? 0, segment: file.segment)
            }
            outputs += media.frames.map { frame in
                Output(path: name + "/" + URL(fileURLWithPath: frame.path).lastPathComponent, format: .jpeg, width: frame.width,
                       height: frame.height, bytes: frame.bytes, tokens: frame.tokens, timestampSeconds: frame.seconds, keyframe: frame.keyframe)
            }
        }
        // What the probe found (e.g. a truncation allowed by --allow-truncated) is the entry's
        // finding too, not only its probe's.
        let diagnostics = media.info.diagnostics.filter { !media.diagnostics.contains($0) } + media.diagnostics
        self.init(source: source, kind: media.kind, status: .ok, outputs: outputs, tokens: media.totalTokens, passthrough: media.passthrough,
                  diagnostics: diagnostics)
        plan = media.plan
        let sent = outputs.filter { $0.timestampSeconds == nil }
        // A split video's parts go one to a request: the largest part's decision.
        // A tiled image's tiles go together: their sum.
        let bytes = media.tiles.isEmpty ? sent.map(\.bytes).max() : sent.map(\.bytes).reduce(0, +)
        if let bytes, let format = sent.first?.format { self.payload = payload(format, Int64(bytes)) }
        identify(identity, media.info)
    }

    /// A tile's file name in its image's folder: `tile-001.jpg`, … in reading order.
    static func tileName(_ tile: PreparedMedia) -> String {
        String(format: "tile-%03d.", tile.tile?.index ?? 1) + tile.format.fileExtension
    }

    /// The line of an input that failed, with whatever is known of it.
    init(failed error: MediaError.Summary, source: String, kind: MediaKind?, identity: Identity?, info: MediaInfo?) {
        self.init(source: source, kind: kind, status: .error, error: error)
        identify(identity, info)
    }

    private mutating func identify(_ identity: Identity?, _ info: MediaInfo?) {
        sha256 = identity?.sha256
        sourceBytes = identity?.bytes
        sourceModified = identity?.modified
        probe = info
    }

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
