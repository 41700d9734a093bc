import Foundation

/// A Moonshot API key. Its description, debug description and any interpolation print a redacted
/// form, so the key cannot leak into a log, an error or a manifest by accident; only
/// ``authorizationHeaderValue`` exposes it, for the `Authorization` header.
public struct APIKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    private let secret: String

    /// Trims surrounding whitespace (keys pasted into files often end with a newline); `nil` when empty.
    public init?(_ value: String) {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return nil }
        secret = trimmed
    }

    /// `Bearer <key>`: the only way to read the key.
    public var authorizationHeaderValue: String { "Bearer \(secret)" }

    /// A short, stable, non-reversible identifier of the key (FNV-1a, 64 bits), so caches and
    /// manifests can tell keys apart without storing them.
    public var fingerprint: String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in secret.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return String(hash, radix: 16).leftPadded(to: 16)
    }

    /// `text` with every occurrence of the key replaced by `[redacted]`: for server messages and
    /// transport errors before they become an error's text.
    public func redact(_ text: String) -> String {
        text.replacingOccurrences(of: secret, with: "[redacted]")
    }

    public var description: String { "APIKey(redacted, fingerprint \(fingerprint))" }
    public var debugDescription: String { description }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
