import CPNG
import MediaCore

/// PNG decode and encode through libpng's simplified API (`png_image_*`), which reports errors by
/// status and message, never by longjmp.
enum PNGCodec {
    /// Decodes the (first) image to 8-bit gray, RGB or RGBA; 16-bit samples are reduced by libpng,
    /// palettes expanded, transparency (tRNS) becomes alpha.
    static func decode(_ v: ByteView, path: String) throws(MediaError) -> PixelImage {
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
        image.format = format
        let plane = Plane(width: Int(image.width), height: Int(image.height), channels: channels)
        guard png_image_finish_read(&image, nil, plane.base, Int32(plane.rowBytes), nil) != 0 else {
            let code: MediaError.Code = message(image).contains("end") || message(image).contains("Not enough") ? .truncatedInput : .decodeFailed
            throw MediaError(code, path: path, stage: .decode, "cannot decode the PNG: \(message(image))")
        }
        return PixelImage(layout: layout, planes: [plane])
    }

    /// Encodes gray, RGB or RGBA as an 8-bit PNG with no ancillary chunks
    /// (`png_image_write_to_memory`).
    static func encode(_ image: PixelImage, path: String) throws(MediaError) -> [UInt8] {
        let plane: Plane
        let format: UInt32
        switch image.layout {
        case .gray: (plane, format) = (image.planes[0], 0)
        case .rgb: (plane, format) = (image.planes[0], KIMI_PNG_FORMAT_RGB)
        case .rgba: (plane, format) = (image.planes[0], KIMI_PNG_FORMAT_RGBA)
        case .ycbcr: throw MediaError(.encodeFailed, path: path, stage: .encode, "PNG encoding needs RGB pixels")
        }
        var info = png_image()
        info.version = KIMI_PNG_IMAGE_VERSION
        info.width = UInt32(plane.width)
        info.height = UInt32(plane.height)
        info.format = format
        defer { png_image_free(&info) }
        var size = 0
        guard png_image_write_to_memory(&info, nil, &size, 0, plane.base, Int32(plane.rowBytes), nil) != 0, size > 0 else {
            throw MediaError(.encodeFailed, path: path, stage: .encode, "cannot size the PNG: \(message(info))")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        let ok = bytes.withUnsafeMutableBytes { out in
            png_image_write_to_memory(&info, out.baseAddress, &size, 0, plane.base, Int32(plane.rowBytes), nil)
        }
        guard ok != 0 else { throw MediaError(.encodeFailed, path: path, stage: .encode, "cannot encode the PNG: \(message(info))") }
        return Array(bytes.prefix(size))
    }

    private static func message(_ image: png_image) -> String {
        withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
