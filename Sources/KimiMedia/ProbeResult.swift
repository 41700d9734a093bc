import MediaCore

/// The outcome of probing one input: its ``MediaInfo`` or the error that stopped it.
public struct ProbeResult: Sendable, Encodable {
    public var path: String
    public var outcome: Result<MediaInfo, MediaErrorBox>

    public init(path: String, outcome: Result<MediaInfo, MediaErrorBox>) {
        self.path = path
        self.outcome = outcome
    }

    public var info: MediaInfo? { try? outcome.get() }
    public var error: MediaError.Summary? {
        if case .failure(let box) = outcome { return box.summary }
        return nil
    }

    private enum FailureKeys: String, CodingKey { case path, accepted, error }

    /// A success encodes as the ``MediaInfo`` itself; a failure as `{path, accepted: false, error: {code, message}}`.
    public func encode(to encoder: any Encoder) throws {
        switch outcome {
        case .success(let info):
            try info.encode(to: encoder)
        case .failure(let box):
            var c = encoder.container(keyedBy: FailureKeys.self)
            try c.encode(path, forKey: .path)
            try c.encode(false, forKey: .accepted)
            try c.encode(box.summary, forKey: .error)
        }
    }
}

/// A ``MediaError`` reduced to its serialisable summary, so results stay `Sendable` values.
public struct MediaErrorBox: Error, Sendable, Hashable {
    public var summary: MediaError.Summary
    public init(_ summary: MediaError.Summary) { self.summary = summary }
}
