import CJPEGDecoder
import MediaCore

/// libjpeg's own decompressor (`jpeg_read_header` … `jpeg_read_scanlines`, in the CJPEGDecoder C
/// target that keeps libjpeg's setjmp), for the valid JPEGs TurboJPEG's `tj*` API refuses: chroma
/// sampling it cannot classify ("Could not determine subsampling type": luma subsampled, or
/// per-component factors). Slower than TurboJPEG's planar path, so used only for those.
enum JPEGFallback {
    /// Size and component count from libjpeg's header reader.
    static func header(_ v: ByteView) -> (width: Int, height: Int, components: Int)? {
        var width: Int32 = 0, height: Int32 = 0, components: Int32 = 0
        var error = [CChar](repeating: 0, count: 256)
        let status = v.bytes.withMemoryRebound(to: UInt8.self) {
            kimi_jpeg_read_header($0.baseAddress, $0.count, 1, &width, &height, &components, &error, error.count)
        }
        guard status == 0, width > 0, height > 0 else { return nil }
        return (Int(width), Int(height), Int(components))
    }

    /// Decodes at 1/`scale` to RGB (gray JPEGs too: the caller's output is colour anyway). A decode
    /// that libjpeg finishes with warnings succeeds with a `decode-warning` diagnostic.
    static func decode(_ v: ByteView, scale: Int, path: String) throws(MediaError) -> (PixelImage, [Diagnostic]) {
        var error = [CChar](repeating: 0, count: 256)
        func message() -> String { String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        var width: Int32 = 0, height: Int32 = 0, components: Int32 = 0
        let sized = v.bytes.withMemoryRebound(to: UInt8.self) {
            kimi_jpeg_read_header($0.baseAddress, $0.count, Int32(scale), &width, &height, &components, &error, error.count)
        }
        guard sized == 0, width > 0, height > 0 else {
            throw MediaError(.decodeFailed, path: path, stage: .decode, "libjpeg cannot read the JPEG header: \(message())")
        }
        let plane = Plane(width: Int(width), height: Int(height), channels: 3)
        let status = v.bytes.withMemoryRebound(to: UInt8.self) {
            kimi_jpeg_decode_rgb($0.baseAddress, $0.count, Int32(scale), plane.base, plane.rowBytes, width, height, &error, error.count)
        }
        guard status >= 0 else {
            throw MediaError(.decodeFailed, path: path, stage: .decode, "libjpeg cannot decode the JPEG: \(message())")
        }
        let diagnostics = status == 1
            ? [Diagnostic(code: "decode-warning", stage: .decode, message: "libjpeg: \(message())")] : []
        return (PixelImage(layout: .rgb, planes: [plane]), diagnostics)
    }
}
