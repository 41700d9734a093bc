import CJPEGDecoder
import CTurboJPEG
import MediaCore

/// JPEG decode and encode through TurboJPEG.
enum JPEGCodec {
    /// What the decoder should hand back.
    enum Output {
        /// The DCT's own YCbCr planes (chroma at its stored subsampling), or one gray plane:
        /// no colour conversion, no chroma upsampling (`tjDecompressToYUVPlanes`).
        case planes
        /// Interleaved RGB, or gray (`tjDecompress2`).
        case interleaved
    }

    /// Decodes at 1/`scale` (1, 2, 4 or 8) by DCT scaling. CMYK/YCCK JPEGs always come back as RGB.
    /// Non-fatal TurboJPEG warnings (e.g. extraneous bytes, a truncated scan that the probe allowed)
    /// become diagnostics; fatal errors fail.
    static func decode(_ v: ByteView, scale: Int, output: Output, path: String) throws(MediaError) -> (PixelImage, [Diagnostic]) {
        guard let d = TurboJPEGDecompressor() else { throw failure(path, .decode, "tjInitDecompress failed", nil) }
        let header: (width: Int, height: Int, subsampling: Int32, colorspace: Int32)
        do { header = try d.header(v) } catch { throw failure(path, .decode, "invalid JPEG header", error) }
        if header.subsampling < 0 { return try JPEGFallback.decode(v, scale: scale, path: path) }
        let factor = tjscalingfactor(num: 1, denom: Int32(scale))
        let width = Int(kimi_tjscaled(Int32(header.width), factor)), height = Int(kimi_tjscaled(Int32(header.height), factor))
        let source = v.bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        var diagnostics: [Diagnostic] = []
        func run(_ status: Int32, _ function: String) throws(MediaError) {
            do {
                try d.check(status, function)
            } catch where !error.fatal {
                diagnostics.append(Diagnostic(code: "decode-warning", stage: .decode, message: error.description))
            } catch {
                throw failure(path, .decode, "cannot decode the JPEG", error)
            }
        }
        func decodeWithTurboJPEG() throws(MediaError) -> (PixelImage, [Diagnostic]) {
            let cmyk = header.colorspace == Int32(TJCS_CMYK.rawValue) || header.colorspace == Int32(TJCS_YCCK.rawValue)
            let gray = header.subsampling == Int32(TJSAMP_GRAY.rawValue)
            if cmyk {
                let buffer = Plane(width: width, height: height, channels: 4)
                try run(tjDecompress2(d.handle, source, UInt(v.count), buffer.base, Int32(width), Int32(buffer.rowBytes), Int32(height),
                                      Int32(TJPF_CMYK.rawValue), TJFLAG_ACCURATEDCT), "tjDecompress2")
                return (PixelImage(layout: .rgb, planes: [rgb(fromInvertedCMYK: buffer)]), diagnostics)
            }
            if output == .interleaved {
                let plane = Plane(width: width, height: height, channels: gray ? 1 : 3)
                let format = gray ? TJPF_GRAY : TJPF_RGB
                try run(tjDecompress2(d.handle, source, UInt(v.count), plane.base, Int32(width), Int32(plane.rowBytes), Int32(height),
                                      Int32(format.rawValue), TJFLAG_ACCURATEDCT), "tjDecompress2")
                return (PixelImage(layout: gray ? .gray : .rgb, planes: [plane]), diagnostics)
            }
            // TurboJPEG writes luma rounded up to the chroma's multiple (302×204 for a 301×203 4:2:0
            // JPEG): the plane keeps that room but only the image's own samples, so that the resize
            // does not take a replicated edge row and column for picture (it stretched odd-sized
            // 4:2:0 JPEGs by up to one sample).
            let planes = (0..<(gray ? 1 : 3)).map { i in
                let (roomWidth, roomHeight) = (Int(tjPlaneWidth(Int32(i), Int32(width), header.subsampling)),
                                               Int(tjPlaneHeight(Int32(i), Int32(height), header.subsampling)))
                return i == 0 ? Plane(width: width, height: height, channels: 1, rowBytes: roomWidth, capacityRows: roomHeight)
                    : Plane(width: roomWidth, height: roomHeight, channels: 1)
            }
            var pointers: [UnsafeMutablePointer<UInt8>?] = planes.map(\.base)
            var strides: [Int32] = planes.map { Int32($0.rowBytes) }
            try run(tjDecompressToYUVPlanes(d.handle, source, UInt(v.count), &pointers, Int32(width), &strides, Int32(height),
                                            TJFLAG_ACCURATEDCT), "tjDecompressToYUVPlanes")
            return (PixelImage(layout: gray ? .gray : .ycbcr, planes: planes), diagnostics)
        }

        do throws(MediaError) {
            return try decodeWithTurboJPEG()
        } catch {
            // What TurboJPEG refuses, libjpeg's own API may still decode (it did for every such
            // file seen so far); TurboJPEG's error is the one reported when it fails too.
            guard let fallback = try? JPEGFallback.decode(v, scale: scale, path: path) else { throw error }
            return (fallback.0, diagnostics + fallback.1)
        }
    }

    /// Adobe CMYK JPEGs store inverted inks: R = C′·K′/255 with C′ = 255 − C as stored.
    private static func rgb(fromInvertedCMYK cmyk: Plane) -> Plane {
        let rgb = Plane(width: cmyk.width, height: cmyk.height, channels: 3)
        let s = cmyk.base, d = rgb.base
        for i in 0..<(cmyk.width * cmyk.height) {
            let k = UInt32(s[i * 4 + 3])
            for c in 0..<3 { d[i * 3 + c] = UInt8((UInt32(s[i * 4 + c]) * k + 127) / 255) }
        }
        return rgb
    }

    /// Encodes `image` as a baseline JPEG (see ``Encoder/encode(_:quality:)``), with a compressor
    /// made for this one image.
    static func encode(_ image: PixelImage, quality: Int, path: String) throws(MediaError) -> [UInt8] {
        try Encoder(path: path).encode(image, quality: quality)
    }

    /// A TurboJPEG compressor (`tjInitCompress` … `tjDestroy`) and its output buffer, kept for a
    /// series of frames. Not `Sendable`: one task owns it.
    final class Encoder {
        private let handle: tjhandle
        private let path: String
        private var output: UnsafeMutablePointer<UInt8>?
        private var capacity: UInt = 0

        init(path: String) throws(MediaError) {
            guard let handle = tjInitCompress() else { throw failure(path, .encode, "tjInitCompress failed", nil) }
            self.handle = handle
            self.path = path
        }

        deinit {
            tjFree(output)
            tjDestroy(handle)
        }

        /// YCbCr planes (4:2:0 chroma) and gray go in directly (``JPEGPlaneWriter``), RGB with 4:2:0
        /// subsampling (`tjCompress2`); RGBA is flattened onto white first. No metadata but the JFIF
        /// header. TurboJPEG's output buffer is reused (it grows it when needed).
        func encode(_ image: PixelImage, quality: Int) throws(MediaError) -> [UInt8] {
            var size = capacity
            let status: Int32
            switch image.layout {
            case .ycbcr, .gray:
                // Planes go through our libjpeg writer (TurboJPEG's tjCompressFromYUVPlanes, byte
                // for byte), the one that also writes while a streaming resize makes the rows.
                let writer = try JPEGPlaneWriter(width: image.width, height: image.height, gray: image.layout == .gray, quality: quality,
                                                 path: path)
                try writer.write(image.planes, available: image.planes.map(\.height))
                return try writer.finish()
            case .rgb, .rgba:
                let plane = image.layout == .rgba ? flattenOnWhite(image.planes[0]) : image.planes[0]
                status = tjCompress2(handle, plane.base, Int32(plane.width), Int32(plane.rowBytes), Int32(plane.height),
                                     Int32(TJPF_RGB.rawValue), &output, &size, Int32(TJSAMP_420.rawValue), Int32(quality), TJFLAG_ACCURATEDCT)
            }
            guard status == 0, let output else {
                let text = tjGetErrorStr2(handle).map { String(cString: $0) } ?? "unknown error"
                throw failure(path, .encode, "cannot encode the JPEG: \(text)", nil)
            }
            capacity = max(capacity, tjBufSize(Int32(image.width), Int32(image.height), Int32(TJSAMP_420.rawValue)))
            return Array(UnsafeBufferPointer(start: output, count: Int(size)))
        }
    }

    static func flattenOnWhite(_ rgba: Plane) -> Plane {
        let rgb = Plane(width: rgba.width, height: rgba.height, channels: 3)
        let s = rgba.base, d = rgb.base
        for i in 0..<(rgba.width * rgba.height) {
            let a = UInt32(s[i * 4 + 3])
            for c in 0..<3 { d[i * 3 + c] = UInt8((UInt32(s[i * 4 + c]) * a + 255 * (255 - a) + 127) / 255) }
        }
        return rgb
    }

    static func failure(_ path: String, _ stage: PipelineStage, _ message: String, _ cause: (any Error & Sendable)?) -> MediaError {
        MediaError(stage == .encode ? .encodeFailed : .decodeFailed, path: path, stage: stage, message, cause: cause)
    }
}

/// A JPEG written from gray or YCbCr 4:2:0 planes one iMCU row at a time, as their rows come in
/// (`kimi_jpeg_writer`: libjpeg's raw-data compressor with TurboJPEG's settings for
/// `tjCompressFromYUVPlanes`, so the bytes are the same): a streaming resize hands it each band as
/// it is done, and the JPEG is written beside the decode instead of after it. Calls must not
/// overlap (the caller serialises them); `@unchecked Sendable` for that hand-over.
final class JPEGPlaneWriter: @unchecked Sendable {
    private let writer: OpaquePointer
    private let path: String

    init(width: Int, height: Int, gray: Bool, quality: Int, path: String) throws(MediaError) {
        var message = [CChar](repeating: 0, count: 256)
        guard let writer = kimi_jpeg_writer_begin(Int32(width), Int32(height), gray ? 1 : 3, Int32(quality), &message, message.count) else {
            throw JPEGCodec.failure(path, .encode, "cannot encode the JPEG: \(String(cString: message))", nil)
        }
        self.writer = writer
        self.path = path
    }

    deinit { kimi_jpeg_writer_free(writer) }

    /// Writes the iMCU rows that the first `available[i]` rows of each plane complete.
    func write(_ planes: [Plane], available: [Int]) throws(MediaError) {
        var pointers: [UnsafePointer<UInt8>?] = planes.map { UnsafePointer($0.base) }
        var strides = planes.map { Int32($0.rowBytes) }
        var rows = available.map { Int32(clamping: $0) }
        let written = withExtendedLifetime(planes) { kimi_jpeg_writer_write(writer, &pointers, &strides, &rows) }
        guard written >= 0 else { throw failure() }
    }

    /// The JPEG, once every row is written.
    func finish() throws(MediaError) -> [UInt8] {
        var bytes: UnsafePointer<UInt8>?
        var size: UInt = 0
        guard kimi_jpeg_writer_finish(writer, &bytes, &size) == 0, let bytes else { throw failure() }
        return Array(UnsafeBufferPointer(start: bytes, count: Int(size)))
    }

    private func failure() -> MediaError {
        JPEGCodec.failure(path, .encode, "cannot encode the JPEG: \(String(cString: kimi_jpeg_writer_error(writer)))", nil)
    }
}
