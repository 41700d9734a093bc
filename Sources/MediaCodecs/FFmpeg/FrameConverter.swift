import CFFmpegLoader
import MediaCore

/// Converts decoded frames to what JPEG stores, at a target size, in one `sws_scale` pass (Lanczos):
/// full-range BT.601 YCbCr 4:2:0 planes, the JFIF colour space. Video is usually limited range
/// (16–235); HD video is BT.709. FFmpeg 5.1's `sws_setColorspaceDetails` does not redo range
/// conversion for YUV→YUV once a context exists, so the full-range formats are named up front
/// (`yuvj420p`, and a full-range source as its `j` variant); and YUV→YUV never changes the matrix,
/// so BT.709 frames (tagged, or untagged HD) take one of two routes, whichever measured faster:
/// scaled, they are scaled to planes and get ``ColorMatrix/bt709ToBT601(_:)`` (4K→1080p: 4.44 → 4.25 s
/// for 40 frames of a 20 s clip); at their own size, swscale's unscaled YUV→RGB path with the
/// matrix swap is quicker than its YUV→YUVJ path plus ours (2.42 against 2.57 s, 60 1080p frames).
/// The context is built once per geometry and reused.
final class FrameConverter: Sendable {
    /// swscale contexts not in use: frames convert on several threads at once
    /// (``FrameExtractor/FrameEncoder``), each with a context of its own, rebuilt only when the
    /// geometry changes (`sws_getCachedContext`).
    private let contexts = Locked<[OpaquePointer]>([])
    /// Planes of frames already encoded (or turned), reused for the next ones of the same size:
    /// fresh multi-megabyte planes cost page faults and clearing every frame.
    private let spares = Locked<[Plane]>([])

    deinit { contexts.withLock { $0.forEach(kimi_sws_freeContext) } }

    /// Hands back a converted frame's planes once nothing else reads them.
    func recycle(_ image: PixelImage) { spares.withLock { if $0.count < 12 { $0.append(contentsOf: image.planes.prefix(12 - $0.count)) } } }

    private func planes(_ sizes: [(Int, Int, Int)]) -> [Plane] {
        sizes.map { size in
            let reused = spares.withLock { spares -> Plane? in
                guard let i = spares.firstIndex(where: { $0.width == size.0 && $0.height == size.1 && $0.channels == size.2 }) else { return nil }
                return spares.remove(at: i)
            }
            return reused ?? Plane(width: size.0, height: size.1, channels: size.2)
        }
    }

    /// `image` turned upright for `orientation`, into recycled planes (the source's go back to the pool).
    private func oriented(_ image: PixelImage, _ orientation: ExifOrientation) -> PixelImage {
        guard orientation != .up else { return image }
        let turned = planes(image.planes.map { p in orientation.swapsDimensions ? (p.height, p.width, p.channels) : (p.width, p.height, p.channels) })
        for (source, target) in zip(image.planes, turned) { source.orient(orientation, into: target) }
        recycle(image)
        return PixelImage(layout: image.layout, planes: turned)
    }

    /// A 4:2:0 frame fitted to exactly half its size (4K → 1080p): a 2×2 box on each plane with the
    /// range expansion in the same pass (``HalfScale``), instead of swscale's Lanczos: 4K keyframes
    /// convert in a fraction of the time. `nil` when the fit is not exactly half.
    private func halved(_ frame: UnsafeMutablePointer<AVFrame>, source: AVPixelFormat, fullRange: Bool, width: Int, height: Int) -> PixelImage? {
        guard source == AV_PIX_FMT_YUV420P || source == AV_PIX_FMT_YUVJ420P,
              Int(frame.pointee.width) == 2 * width, Int(frame.pointee.height) == 2 * height, width % 2 == 0, height % 2 == 0,
              let y = frame.pointee.data.0, let u = frame.pointee.data.1, let v = frame.pointee.data.2 else { return nil }
        let planes = self.planes([(width, height, 1), (width / 2, height / 2, 1), (width / 2, height / 2, 1)])
        let luma: HalfScale.Range = fullRange ? .full : .lumaLimited, chroma: HalfScale.Range = fullRange ? .full : .chromaLimited
        HalfScale.halve(y, stride: Int(frame.pointee.linesize.0), into: planes[0], range: luma)
        HalfScale.halve(u, stride: Int(frame.pointee.linesize.1), into: planes[1], range: chroma)
        HalfScale.halve(v, stride: Int(frame.pointee.linesize.2), into: planes[2], range: chroma)
        return PixelImage(layout: .ycbcr, planes: planes)
    }

    /// Converts (and scales) `frame` to `width`×`height` in stored orientation, then turns it
    /// upright for `orientation`.
    func convert(_ frame: UnsafeMutablePointer<AVFrame>, width: Int, height: Int, orientation: ExifOrientation = .up) throws(FFmpegError) -> PixelImage {
        var source = AVPixelFormat(rawValue: frame.pointee.format)
        let fullRange = frame.pointee.color_range == AVCOL_RANGE_JPEG
            || [AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUVJ422P, AV_PIX_FMT_YUVJ444P].contains(source)
        let bt709 = frame.pointee.colorspace == AVCOL_SPC_BT709
            || (frame.pointee.colorspace == AVCOL_SPC_UNSPECIFIED && frame.pointee.height >= 720)
        if fullRange {
            source = [AV_PIX_FMT_YUV420P: AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUV422P: AV_PIX_FMT_YUVJ422P,
                      AV_PIX_FMT_YUV444P: AV_PIX_FMT_YUVJ444P][source] ?? source
        }
        // Scaling filters with Lanczos; at the same size only the range (and matrix) change, sample for sample.
        let scaling = frame.pointee.width != Int32(width) || frame.pointee.height != Int32(height)
        if scaling, let image = halved(frame, source: source, fullRange: fullRange, width: width, height: height) {
            if bt709 { ColorMatrix.bt709ToBT601(image) }
            return oriented(image, orientation)
        }
        // A 4:2:0 frame at its own size that is to be turned: range and matrix in one pass of ours
        // (``ColorMatrix/fromVideo``), then the planes turned (half the bytes of RGB): a portrait
        // phone clip's keyframes 317 → 267 ms, and closer to the source in RGB (Big Buck Bunny
        // 720p: 39.5 against 38.0 dB). Upright frames go through swscale's SIMD YUV→RGB instead,
        // measured faster than this scalar pass plus the planes' JPEG encode (336 against 367 ms).
        if !scaling, orientation != .up, source == AV_PIX_FMT_YUV420P || source == AV_PIX_FMT_YUVJ420P,
           let y = frame.pointee.data.0, let u = frame.pointee.data.1, let v = frame.pointee.data.2 {
            let (cw, ch) = ((width + 1) / 2, (height + 1) / 2)
            let image = PixelImage(layout: .ycbcr, planes: planes([(width, height, 1), (cw, ch, 1), (cw, ch, 1)]))
            ColorMatrix.fromVideo(y: y, yStride: Int(frame.pointee.linesize.0), cb: u, cbStride: Int(frame.pointee.linesize.1),
                                  cr: v, crStride: Int(frame.pointee.linesize.2), limited: !fullRange, bt709: bt709, into: image)
            return oriented(image, orientation)
        }
        // A frame that is turned goes as planes (half the bytes of RGB to turn, and no colour
        // conversion in the JPEG encoder).
        let viaRGB = bt709 && !scaling && orientation == .up
        let destination = viaRGB ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_YUVJ420P
        let flags = scaling ? KIMI_SWS_LANCZOS : KIMI_SWS_POINT
        let idle = contexts.withLock { $0.popLast() }
        guard let context = kimi_sws_getCachedContext(idle, frame.pointee.width, frame.pointee.height, source, Int32(width), Int32(height),
                                                      destination, flags, nil, nil, nil)
        else { throw FFmpegError(KIMI_AVERROR_INVALIDDATA, "sws_getCachedContext") }  // (it freed `idle`)
        defer { contexts.withLock { $0.append(context) } }
        let planes: [Plane]
        if viaRGB {
            _ = kimi_sws_setColorspaceDetails(context, kimi_sws_getCoefficients(SWS_CS_ITU709), fullRange ? 1 : 0,
                                              kimi_sws_getCoefficients(SWS_CS_ITU601), 1, 0, 1 << 16, 1 << 16)
            planes = self.planes([(width, height, 3)])
        } else {
            let (cw, ch) = ((width + 1) / 2, (height + 1) / 2)
            planes = self.planes([(width, height, 1), (cw, ch, 1), (cw, ch, 1)])
        }
        var targets: [UnsafeMutablePointer<UInt8>?] = planes.map(\.base) + [nil, nil, nil]
        var strides: [Int32] = planes.map { Int32($0.rowBytes) } + [0, 0, 0]
        let sourcePlanes = withUnsafeBytes(of: &frame.pointee.data) { raw in
            Array(raw.bindMemory(to: UnsafeMutablePointer<UInt8>?.self).prefix(4)).map { UnsafePointer($0) }
        }
        let sourceStrides = withUnsafeBytes(of: &frame.pointee.linesize) { Array($0.bindMemory(to: Int32.self).prefix(4)) }
        let rows = kimi_sws_scale(context, sourcePlanes, sourceStrides, 0, frame.pointee.height, &targets, &strides)
        guard rows > 0 else { throw FFmpegError(rows < 0 ? rows : KIMI_AVERROR_INVALIDDATA, "sws_scale") }
        if viaRGB { return PixelImage(layout: .rgb, planes: planes) }
        let image = PixelImage(layout: .ycbcr, planes: planes)
        if bt709 { ColorMatrix.bt709ToBT601(image) }
        return oriented(image, orientation)
    }
}
