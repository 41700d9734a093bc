import Foundation

extension JSONEncoder {
    /// The one JSON form kimi-media writes (manifests, `--json` lines, request bodies): sorted keys,
    /// slashes unescaped (so base64's `/` stays one byte and body sizes are exact).
    public static func canonical() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
