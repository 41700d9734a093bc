/// An image ready to send: the `encode` stage's output.
public struct EncodedImage: Sendable {
    public var bytes: [UInt8]
    public var format: MediaFormat
    public var width: Int
    public var height: Int
    /// The original bytes, sent unchanged.
    public var passthrough: Bool
    public var diagnostics: [Diagnostic]

    public init(bytes: [UInt8], format: MediaFormat, width: Int, height: Int, passthrough: Bool, diagnostics: [Diagnostic]) {
        self.bytes = bytes
        self.format = format
        self.width = width
        self.height = height
        self.passthrough = passthrough
        self.diagnostics = diagnostics
    }
}
