import CPNG
import MediaCore

/// PNG decode and encode through libpng's simplified API (`png_image_*`), which reports errors by
/// status and message, never by longjmp.
enum PNGCodec {
    /// Decodes the (first) image to 8-bit gray, RGB or RGBA: the common PNGs by ``PNGFastDecoder``
    /// (libdeflate), the others by libpng — 16-bit samples reduced, palettes expanded, transparency
    /// (tRNS) made alpha.
    static func decode(_ v: ByteView, path: String) throws(MediaError) -> PixelImage {
        if let fast = PNGFastDecoder.decode(v) { return fast }
        return try decodeWithLibpng(v, path: path)
    }

    /// libpng's simplified read: every PNG, with its errors.
    static func decodeWithLibpng(_ v: ByteView, path: String) throws(MediaError) -> PixelImage {
        var image = png_image()
        image.version = KIMI_PNG_IMAGE_VERSION
        defer { png_image_free(&image) }
        guard png_image_begin_read_from_memory(&image, v.bytes.baseAddress, v.count) != 0 else {
            throw MediaError(.decodeFailed, path: path, stage: .decode, "invalid PNG: \(message(image))")
        }
        let alpha = image.format & KIMI_PNG_FORMAT_FLAG_ALPHA != 0
        let color = image.format & (KIMI_PNG_FORMAT_FLAG_COLOR | KIMI_PNG_FORMAT_FLAG_COLORMAP) != 0
        let (layout, channels, format): (PixelImage.Layout, Int, UInt32) =
            alpha ? (.rgba, 4, KIMI_PNG_FORMAT_RGBA) : (color ? (.rgb, 3, KIMI_PNG_FORMAT_RGB) : (.gray, 1, 0))
        let plane = Plane(width: Int(image.width), height: Int(image.height), channels: channels)
        // libpng's simplified API takes 16-bit samples without gAMA/sRGB/iCCP/cHRM as linear light and
        // gamma-encodes them on the way to 8 bits; browsers and PIL take them as sRGB already. Read
        // such files raw and narrow them ourselves, so they look as everywhere else.
        let sixteen = v.u8(24) == 16
        let colorSpace = PNGChunks.scan(v, maxFrames: 1)?.colorSpaceChunks ?? false
        if sixteen && !colorSpace {
            image.format = format | KIMI_PNG_FORMAT_FLAG_LINEAR
            let wide = [UInt16](unsafeUninitializedCapacity: plane.width * plane.height * channels) { buffer, count in
                // row_stride counts components (here 16-bit), not bytes.
                let ok = png_image_finish_read(&image, nil, buffer.baseAddress, Int32(plane.width * channels), nil)
                count = ok != 0 ? buffer.count : 0
            }
            guard !wide.isEmpty else { throw readFailure(image, path) }
            narrow(wide, into: plane, alpha: alpha)
        } else {
            image.format = format
            guard png_image_finish_read(&image, nil, plane.base, Int32(plane.rowBytes), nil) != 0 else { throw readFailure(image, path) }
        }
        return PixelImage(layout: layout, planes: [plane])
    }

    /// 16 → 8 bits with rounding; libpng hands linear RGBA back premultiplied, so divide by alpha.
    private static func narrow(_ wide: [UInt16], into plane: Plane, alpha: Bool) {
        let c = plane.channels, out = plane.base
        for i in 0..<(plane.width * plane.height) {
            let a = alpha ? UInt32(wide[i * c + c - 1]) : 65535
            for k in 0..<c {
                var v = UInt32(wide[i * c + k])
                if alpha && k < c - 1 { v = a == 0 ? 0 : min(65535, (v * 65535 + a / 2) / a) }
                out[i * c + k] = UInt8((v * 255 + 32767) / 65535)
            }
        }
    }

    private static func readFailure(_ image: png_image, _ path: String) -> MediaError {
        let text = message(image)
        let code: MediaError.Code = text.contains("end") || text.contains("Not enough") ? .truncatedInput : .decodeFailed
        return MediaError(code, path: path, stage: .decode, "cannot decode the PNG: \(text)")
    }

    /// Encodes gray, RGB or RGBA as an 8-bit PNG with no ancillary chunks (``PNGWriter``).
    static func encode(_ image: PixelImage, path: String) throws(MediaError) -> [UInt8] {
        guard image.layout != .ycbcr else { throw MediaError(.encodeFailed, path: path, stage: .encode, "PNG encoding needs RGB pixels") }
        return try PNGWriter.encode(image.planes[0], path: path)
    }

    private static func message(_ image: png_image) -> String {
        withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
