import CWebP
import MediaCore

/// WebP decode (`WebPDecode` with `use_scaling`, or `WebPAnimDecoder` for the first frame of an
/// animation) and encode (`WebPEncodeRGB`/`WebPEncodeRGBA`).
enum WebPCodec {
    /// Decodes to RGB or RGBA. A still image is decoded straight at `scaledTo` when that is smaller
    /// (libwebp's own area-averaging rescaler); an animation's first frame is composited on its
    /// canvas at full size.
    /// `planes`: an opaque still image comes as YCbCr 4:2:0 planes (what JPEG stores): libwebp's own
    /// planes, range-expanded, instead of RGB — no colour conversion or chroma upsampling in the
    /// decode and none in the JPEG encode.
    static func decode(_ v: ByteView, scaledTo target: (width: Int, height: Int)?, planes: Bool = false,
                       path: String) throws(MediaError) -> PixelImage {
        let base = v.bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        var config = WebPDecoderConfig()
        guard WebPInitDecoderConfig(&config) != 0, WebPGetFeatures(base, v.count, &config.input) == VP8_STATUS_OK else {
            throw MediaError(.decodeFailed, path: path, stage: .decode, "invalid WebP header")
        }
        if config.input.has_animation != 0 { return try firstFrame(v, path: path) }
        // libwebp's second thread: the loop filter of one macroblock row runs beside the decode of
        // the next (with the planes: a 12 MP WebP to a fitted JPEG 189 → 138 ms on two cores).
        config.options.use_threads = 1
        let alpha = config.input.has_alpha != 0
        var width = Int(config.input.width), height = Int(config.input.height)
        if let target, target.width < width || target.height < height {
            config.options.use_scaling = 1
            config.options.scaled_width = Int32(target.width)
            config.options.scaled_height = Int32(target.height)
            (width, height) = target
        }
        if planes && !alpha {
            // VP8's samples are BT.601 in video's limited range; JPEG stores the full range.
            let chroma = ((width + 1) / 2, (height + 1) / 2)
            let y = Plane(width: width, height: height, channels: 1)
            let (u, v2) = (Plane(width: chroma.0, height: chroma.1, channels: 1), Plane(width: chroma.0, height: chroma.1, channels: 1))
            config.output.colorspace = MODE_YUV
            config.output.is_external_memory = 1
            config.output.u.YUVA.y = y.base
            config.output.u.YUVA.y_stride = Int32(y.rowBytes)
            config.output.u.YUVA.y_size = y.rowBytes * height
            config.output.u.YUVA.u = u.base
            config.output.u.YUVA.u_stride = Int32(u.rowBytes)
            config.output.u.YUVA.u_size = u.rowBytes * chroma.1
            config.output.u.YUVA.v = v2.base
            config.output.u.YUVA.v_stride = Int32(v2.rowBytes)
            config.output.u.YUVA.v_size = v2.rowBytes * chroma.1
            try run(WebPDecode(base, v.count, &config), &config, path)
            VideoRange.expand(y, .luma)
            VideoRange.expand(u, .chroma)
            VideoRange.expand(v2, .chroma)
            return PixelImage(layout: .ycbcr, planes: [y, u, v2])
        }
        let plane = Plane(width: width, height: height, channels: alpha ? 4 : 3)
        config.output.colorspace = alpha ? MODE_RGBA : MODE_RGB
        config.output.is_external_memory = 1
        config.output.u.RGBA.rgba = plane.base
        config.output.u.RGBA.stride = Int32(plane.rowBytes)
        config.output.u.RGBA.size = plane.rowBytes * height
        try run(WebPDecode(base, v.count, &config), &config, path)
        return PixelImage(layout: alpha ? .rgba : .rgb, planes: [plane])
    }

    /// A decode's status: its buffer released, its failure thrown.
    private static func run(_ status: VP8StatusCode, _ config: inout WebPDecoderConfig, _ path: String) throws(MediaError) {
        WebPFreeDecBuffer(&config.output)
        guard status == VP8_STATUS_OK else {
            let code: MediaError.Code = status == VP8_STATUS_NOT_ENOUGH_DATA ? .truncatedInput : .decodeFailed
            throw MediaError(code, path: path, stage: .decode, "cannot decode the WebP (status \(status.rawValue))")
        }
    }

    private static func firstFrame(_ v: ByteView, path: String) throws(MediaError) -> PixelImage {
        var data = WebPData(bytes: v.bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), size: v.count)
        var options = WebPAnimDecoderOptions()
        guard WebPAnimDecoderOptionsInit(&options) != 0 else { throw MediaError(.decodeFailed, path: path, stage: .decode, "libwebp version mismatch") }
        options.color_mode = MODE_RGBA
        options.use_threads = 0
        guard let decoder = WebPAnimDecoderNew(&data, &options) else {
            throw MediaError(.decodeFailed, path: path, stage: .decode, "cannot parse the animated WebP")
        }
        defer { WebPAnimDecoderDelete(decoder) }
        var info = WebPAnimInfo()
        var frame: UnsafeMutablePointer<UInt8>?
        var timestamp: Int32 = 0
        guard WebPAnimDecoderGetInfo(decoder, &info) != 0, WebPAnimDecoderGetNext(decoder, &frame, &timestamp) != 0, let frame else {
            throw MediaError(.decodeFailed, path: path, stage: .decode, "cannot decode the first WebP frame")
        }
        let plane = Plane(width: Int(info.canvas_width), height: Int(info.canvas_height), channels: 4)
        plane.base.update(from: frame, count: plane.rowBytes * plane.height)
        return PixelImage(layout: .rgba, planes: [plane])
    }

    /// Lossy WebP at `quality`; gray is expanded to RGB.
    static func encode(_ image: PixelImage, quality: Int, path: String) throws(MediaError) -> [UInt8] {
        var plane = image.planes[0]
        if image.layout == .gray {
            let rgb = Plane(width: plane.width, height: plane.height, channels: 3)
            for i in 0..<(plane.width * plane.height) { for c in 0..<3 { rgb.base[i * 3 + c] = plane.base[i] } }
            plane = rgb
        } else if image.layout == .ycbcr {
            throw MediaError(.encodeFailed, path: path, stage: .encode, "WebP encoding needs RGB pixels")
        }
        var output: UnsafeMutablePointer<UInt8>?
        let size = plane.channels == 4
            ? WebPEncodeRGBA(plane.base, Int32(plane.width), Int32(plane.height), Int32(plane.rowBytes), Float(quality), &output)
            : WebPEncodeRGB(plane.base, Int32(plane.width), Int32(plane.height), Int32(plane.rowBytes), Float(quality), &output)
        defer { WebPFree(output) }
        guard size > 0, let output else { throw MediaError(.encodeFailed, path: path, stage: .encode, "WebPEncode failed") }
        return Array(UnsafeBufferPointer(start: output, count: size))
    }
}
