import MediaCore

/// One line of `manifest.jsonl`: what happened to one input. The field names are a contract.
public struct ManifestEntry: Sendable, Codable, Hashable {
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

        public init(path: String, format: MediaFormat, width: Int, height: Int, bytes: Int, tokens: Int,
                    timestampSeconds: Double? = nil, keyframe: Bool? = nil) {
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

    public var source: String
    public var kind: MediaKind?
    public var status: Status
    public var outputs: [Output]
    /// Offline total of the outputs' tokens.
    public var tokens: Int?
    public var passthrough: Bool
    public var diagnostics: [Diagnostic]
    public var error: MediaError.Summary?

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
    }
}
