/// How ``MediaInfo`` is gathered from a file.
public struct ProbeOptions: Sendable, Hashable {
    /// Limits enforced from header facts.
    public var limits: MediaLimits
    /// When `true`, a file whose end is missing is reported with a `truncated` diagnostic instead
    /// of failing with ``MediaError/Code/truncatedInput``.
    public var allowTruncated: Bool

    public init(limits: MediaLimits = .default, allowTruncated: Bool = false) {
        self.limits = limits
        self.allowTruncated = allowTruncated
    }
}
