import CTIFFDecoder
import MediaCore

/// TIFF and BigTIFF through libtiff's RGBA interface (`TIFFReadRGBAImageOriented`, in the
/// CTIFFDecoder C target), which reads far more of what scanners and editors write than FFmpeg's
/// TIFF decoder (CIE L*a*b*, old-style JPEG, CMYK, 1–16-bit samples, tiles). What libtiff's RGBA
/// interface cannot read (floating-point samples, …) goes to FFmpeg's decoder instead.
enum TIFFCodec {
    struct Header {
        var width: Int
        var height: Int
        var samples: Int
        var bits: Int
        var alpha: Bool
        var readable: Bool

        /// One 32- or 64-bit sample per pixel (integer or float): read by ``kimi_tiff_decode_gray_wide``.
        var isWideGray: Bool { samples == 1 && (bits == 32 || bits == 64) }
    }

    static func header(_ v: ByteView) -> Result<Header, TIFFError> {
        var width: Int32 = 0, height: Int32 = 0, orientation: Int32 = 1, samples: Int32 = 0, bits: Int32 = 0
        var alpha: Int32 = 0, readable: Int32 = 0
        var error = [CChar](repeating: 0, count: 1024)
        let status = v.bytes.withMemoryRebound(to: UInt8.self) {
            kimi_tiff_header($0.baseAddress, $0.count, &width, &height, &orientation, &samples, &bits, &alpha, &readable,
                             &error, error.count)
        }
        guard status == 0 else { return .failure(TIFFError(error)) }
        return .success(Header(width: Int(width), height: Int(height), samples: Int(samples), bits: Int(bits),
                               alpha: alpha != 0, readable: readable != 0))
    }

    static func probe(_ file: MappedFile, _ context: inout ProbeContext) throws(MediaError) -> MediaInfo {
        let v = file.view
        let header: Header
        switch Self.header(v) {
        case .success(let h): header = h
        case .failure(let error): throw context.error(.corruptInput, "cannot read the TIFF header", cause: error)
        }
        guard header.width > 0, header.height > 0 else {
            throw context.error(.corruptInput, "declares \(header.width)×\(header.height)")
        }
        try context.checkPixels(header.width, header.height)
        // What libtiff's RGBA interface cannot read: one wide (32/64-bit) sample is ours to stretch
        // to gray; the rest FFmpeg's TIFF decoder may read.
        guard header.readable || header.isWideGray else { return try FFmpegImage.probe(file, .tiff, &context) }
        return MediaInfo(
            path: context.path, kind: .image, format: .tiff, storedWidth: header.width, storedHeight: header.height,
            orientation: 1, swapsDimensions: false, hasAlpha: header.alpha, frameCount: 1, bitDepth: header.bits,
            colorModel: header.samples == 1 ? "gray" : header.samples >= 4 && !header.alpha ? "cmyk" : "rgb",
            bytes: Int64(file.size), accepted: false, diagnostics: context.diagnostics
        )
    }

    /// Decodes the first directory to RGB (RGBA when any pixel is transparent).
    static func decode(_ v: ByteView, path: String, limits: MediaLimits) throws(MediaError) -> PixelImage {
        guard case .success(let header) = Self.header(v), header.readable || header.isWideGray else {
            return try FFmpegImage.decode(path: path, format: .tiff, limits: limits)
        }
        if !header.readable {
            let gray = Plane(width: header.width, height: header.height, channels: 1)
            var error = [CChar](repeating: 0, count: 1024)
            let status = v.bytes.withMemoryRebound(to: UInt8.self) {
                kimi_tiff_decode_gray_wide($0.baseAddress, $0.count, gray.base, Int32(header.width), Int32(header.height), &error, error.count)
            }
            guard status == 0 else {
                throw MediaError(.decodeFailed, path: path, stage: .decode, "cannot decode the TIFF", cause: TIFFError(error))
            }
            return PixelImage(layout: .gray, planes: [gray])
        }
        let rgba = Plane(width: header.width, height: header.height, channels: 4)  // rows unpadded, as libtiff writes them
        var error = [CChar](repeating: 0, count: 1024)
        let status = v.bytes.withMemoryRebound(to: UInt8.self) {
            kimi_tiff_decode_rgba($0.baseAddress, $0.count, rgba.base, Int32(header.width), Int32(header.height), &error, error.count)
        }
        guard status == 0 else {
            // libtiff refuses some files FFmpeg's decoder reads (e.g. 16-bit CMYK in JPEG strips).
            let failure = MediaError(.decodeFailed, path: path, stage: .decode, "cannot decode the TIFF", cause: TIFFError(error))
            guard let image = try? FFmpegImage.decode(path: path, format: .tiff, limits: limits) else { throw failure }
            return image
        }
        return PixelImage(rgbaDroppingOpaqueAlpha: rgba)
    }
}

/// A libtiff failure: the first error its handler reported.
struct TIFFError: Error, Sendable, CustomStringConvertible {
    var text: String

    init(_ buffer: [CChar]) {
        let message = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        text = message.isEmpty ? "unknown error" : message
    }

    var description: String { "libtiff: \(text)" }
}
