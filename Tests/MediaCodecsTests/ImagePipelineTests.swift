import CJPEGDecoder
import CTurboJPEG
import Foundation
import MediaCore
import Testing
import TestSupport

@testable import MediaCodecs

/// Decodes encoded bytes back to RGB(A) with our own decoders, to look at what was written.
func decodeRGB(_ bytes: [UInt8], _ format: MediaFormat) throws -> PixelImage {
    try bytes.withUnsafeBytes { raw in
        let v = ByteView(raw)
        switch format {
        case .jpeg: return try JPEGCodec.decode(v, scale: 1, output: .interleaved, path: "output").0
        case .png: return try PNGCodec.decode(v, path: "output")
        case .webp: return try WebPCodec.decode(v, scaledTo: nil, path: "output")
        default: throw MediaError(.unsupportedFormat, path: "output", stage: .decode, "test")
        }
    }
}

func decodeFixture(_ path: String, scale: Int = 1, output: JPEGCodec.Output = .interleaved) throws -> PixelImage {
    let file = try MappedFile(path: path)
    return try JPEGCodec.decode(file.view, scale: scale, output: output, path: path).0
}

func run(_ path: String, _ options: ImageOptions = ImageOptions(), probe: ProbeOptions = ProbeOptions()) throws -> (MediaInfo, ImagePlan, EncodedImage) {
    let info = try MediaProber.probe(path: path, options: probe)
    let plan = ImagePlan.make(for: info, options: options)
    return (info, plan, try ImagePipeline.run(path: path, info: info, plan: plan, resampler: Resampler()))
}

@Suite("Image pipeline")
struct ImagePipelineTests {
    /// The quality bar on the fixture photos: the luma the pipeline produces (DCT shrink-on-load where
    /// the plan takes it, then our resampler) against Reference.lanczos3 of the full-size upright
    /// luma, ≥ 40 dB. Sizes chosen so every DCT scale is exercised: 300 and 150 at 1/1, 80 at 1/2,
    /// 40 at 1/4, 20 at 1/8.
    @Test(arguments: ["jpeg-baseline.jpg", "jpeg-progressive.jpg"], [300, 150, 80, 40, 20])
    func jpegLumaMatchesTheFloatReference(_ name: String, _ maxSide: Int) throws {
        let path = Fixture.image(name)
        let info = try MediaProber.probe(path: path)
        let plan = ImagePlan.make(for: info, options: try ImageOptions(maxSide: maxSide))
        #expect(plan.jpegScaleDenominator == [300: 1, 150: 1, 80: 2, 40: 4, 20: 8][maxSide])
        let file = try MappedFile(path: path)
        var (resized, _) = try ImagePipeline.decode(file.view, info: info, plan: plan, path: path)
        #expect(resized.layout == .ycbcr)
        ImagePipeline.resize(&resized, plan: plan, resampler: Resampler())
        let full = try decodeFixture(path, output: .planes).planes[0]
        let reference = Reference.lanczos3(Reference.channel(full, 0), width: full.width, height: full.height,
                                           to: plan.resizeWidth, plan.resizeHeight)
        let psnr = Reference.psnr(Reference.channel(resized.planes[0], 0), reference)
        #expect(psnr >= 40, "\(name) → \(plan.width)×\(plan.height) at 1/\(plan.jpegScaleDenominator): \(psnr) dB")
        #expect(resized.planes[1].width == (plan.resizeWidth + 1) / 2)
    }

    /// Through the encoder too (q90, 4:2:0), against the same reference: a looser bar that still
    /// catches a wrong colour path or a misplaced plane.
    @Test func encodedOutputStaysCloseToTheReference() throws {
        let path = Fixture.image("jpeg-baseline.jpg")
        let (_, plan, encoded) = try run(path, try ImageOptions(maxSide: 200))
        let output = try decodeRGB(encoded.bytes, .jpeg).planes[0]
        let full = try decodeFixture(path).planes[0]
        let reference = Reference.lanczos3(Reference.luma(full), width: full.width, height: full.height, to: plan.width, plan.height)
        #expect(Reference.psnr(Reference.luma(output), reference) >= 30)
    }

    /// Every orientation comes out upright: red, green / blue, white quadrants, and no EXIF left.
    @Test(arguments: 1...8)
    func orientationIsAppliedToPixels(_ o: Int) throws {
        let (_, plan, encoded) = try run(Fixture.jpegOrientation(o), try ImageOptions(format: .png))
        #expect(encoded.width == 96 && encoded.height == 64)
        #expect(plan.passthrough == false)
        let out = try decodeRGB(encoded.bytes, .png).planes[0]
        func color(_ x: Int, _ y: Int) -> [Int] { (0..<3).map { Int(out[x, y, $0]) } }
        func near(_ a: [Int], _ b: [Int]) -> Bool { zip(a, b).allSatisfy { abs($0 - $1) < 40 } }
        #expect(near(color(10, 10), [255, 0, 0]), "top-left \(color(10, 10))")
        #expect(near(color(85, 10), [0, 255, 0]), "top-right \(color(85, 10))")
        #expect(near(color(10, 55), [0, 0, 255]), "bottom-left \(color(10, 55))")
        #expect(near(color(85, 55), [255, 255, 255]), "bottom-right \(color(85, 55))")
    }

    @Test func passthroughIsByteForByte() throws {
        for name in ["jpeg-baseline.jpg", "png-rgba.png", "webp-lossless.webp", "gif-static.gif", "jpeg-orientation-1.jpg"] {
            let path = Fixture.image(name)
            let (_, plan, encoded) = try run(path)
            #expect(plan.passthrough && encoded.passthrough, "\(name)")
            #expect(encoded.bytes == Array(try Data(contentsOf: URL(fileURLWithPath: path))), "\(name)")
        }
    }

    @Test func encodingIsDeterministicAndCarriesNoMetadata() throws {
        let path = Fixture.jpegOrientation(6)
        let a = try run(path).2.bytes, b = try run(path).2.bytes
        #expect(a == b)
        // Markers before the scan: SOI, APP0 (JFIF) and the coding tables only; no APP1 (EXIF).
        let markers = a.withUnsafeBytes { raw -> [UInt8] in
            let v = ByteView(raw)
            var offset = 2, found: [UInt8] = []
            while let m = v.u8(offset + 1), m != 0xDA, let length = v.u16be(offset + 2) {
                found.append(m)
                offset += 2 + Int(length)
            }
            return found
        }
        #expect(markers.first == 0xE0)
        #expect(!markers.contains { (0xE1...0xEF).contains($0) })
        for format in [OutputFormatChoice.png, .webp] {
            let one = try run(Fixture.image("png-rgba.png"), try ImageOptions(maxSide: 100, format: format)).2.bytes
            let two = try run(Fixture.image("png-rgba.png"), try ImageOptions(maxSide: 100, format: format)).2.bytes
            #expect(one == two)
        }
    }

    /// Adobe CMYK (inverted) decodes to the same picture as the RGB baseline it was made from.
    @Test func cmykAndGrayJPEG() throws {
        let rgb = try decodeFixture(Fixture.image("jpeg-baseline.jpg")).planes[0]
        let cmyk = try decodeFixture(Fixture.image("jpeg-cmyk.jpg"))
        #expect(cmyk.layout == .rgb)
        #expect(Reference.psnr(Reference.luma(cmyk.planes[0]), Reference.luma(rgb)) >= 30)
        let (_, _, encoded) = try run(Fixture.image("jpeg-cmyk.jpg"), try ImageOptions(maxSide: 160))
        let back = try decodeRGB(encoded.bytes, .jpeg)
        #expect(back.layout == .rgb && back.width == 160 && back.height == 120)
        let gray = try run(Fixture.image("jpeg-gray.jpg"), try ImageOptions(maxSide: 160)).2
        #expect(try decodeRGB(gray.bytes, .jpeg).layout == .gray)
    }

    @Test func pngDepthsPalettesAndAlpha() throws {
        func decoded(_ name: String) throws -> PixelImage {
            let file = try MappedFile(path: Fixture.image(name))
            return try PNGCodec.decode(file.view, path: name)
        }
        let eight = try decoded("png-rgb.png"), sixteen = try decoded("png-rgb16.png")
        #expect(sixteen.layout == .rgb)
        #expect(Reference.psnr(Reference.luma(sixteen.planes[0]), Reference.luma(eight.planes[0])) >= 45)
        #expect(try decoded("png-palette.png").layout == .rgb)
        #expect(try decoded("png-gray.png").layout == .gray)
        let rgba = try decoded("png-rgba.png")
        #expect(rgba.layout == .rgba)
        #expect(rgba.planes[0][0, 0, 3] < 5 && rgba.planes[0][319, 0, 3] > 250)
        // Resized, the alpha ramp survives into the PNG output.
        let (_, plan, encoded) = try run(Fixture.image("png-rgba.png"), try ImageOptions(maxSide: 100))
        #expect(plan.format == .png)
        let out = try decodeRGB(encoded.bytes, .png).planes[0]
        #expect(out.channels == 4 && out[0, 10, 3] < 10 && out[99, 10, 3] > 245)
    }

    @Test func animationsSendTheirFirstFrame() throws {
        let (_, plan, gif) = try run(Fixture.image("gif-animated.gif"))
        #expect(plan.diagnostics.map(\.code) == ["first-frame-used"])
        #expect(gif.format == .png && gif.width == 160 && gif.height == 120)
        let frame = try decodeRGB(gif.bytes, .png).planes[0]
        #expect(frame.channels == 4)
        #expect(frame[5, 5, 3] == 0)      // the transparent 40×30 corner
        #expect(frame[100, 80, 3] == 255)
        let webp = try run(Fixture.image("webp-animated.webp")).2
        #expect(webp.width == 160 && webp.height == 120 && webp.format == .png)
        let apng = try run(Fixture.image("png-animated.png")).2
        #expect(apng.width == 160 && apng.height == 120)
    }

    /// libwebp's scaled decode lands on the planned size and stays close to the reference.
    @Test func webpScaledDecode() throws {
        let path = Fixture.image("webp-lossless.webp")
        let (_, plan, encoded) = try run(path, try ImageOptions(maxSide: 160, format: .png))
        #expect(encoded.width == 160 && encoded.height == 120 && plan.format == .png)
        let file = try MappedFile(path: path)
        let full = try WebPCodec.decode(file.view, scaledTo: nil, path: path).planes[0]
        let reference = Reference.lanczos3(Reference.luma(full), width: 320, height: 240, to: 160, 120)
        let out = try decodeRGB(encoded.bytes, .png).planes[0]
        #expect(Reference.psnr(Reference.luma(out), reference) >= 30)
    }

    /// An opaque WebP bound for JPEG is decoded to libwebp's own YCbCr planes, range-expanded: the
    /// same picture as its RGB decode (luma within a level or two: only rounding differs), and the
    /// JPEG made from them as close to the reference as one made from RGB.
    @Test func webpPlanesAreTheRGBDecodesPicture() throws {
        for name in ["webp-lossy.webp", "webp-lossless.webp"] {
            let path = Fixture.image(name)
            let file = try MappedFile(path: path)
            let planes = try WebPCodec.decode(file.view, scaledTo: nil, planes: true, path: path)
            let rgb = try WebPCodec.decode(file.view, scaledTo: nil, path: path).planes[0]
            #expect(planes.layout == .ycbcr && planes.planes.map(\.width) == [rgb.width, (rgb.width + 1) / 2, (rgb.width + 1) / 2])
            #expect(Reference.psnr(Reference.luma(planes.planes[0]), Reference.luma(rgb)) >= 45, "\(name)")
            let (_, plan, encoded) = try run(path, try ImageOptions(maxSide: 160))
            #expect(plan.format == .jpeg && encoded.width == 160)
            let reference = Reference.lanczos3(Reference.luma(rgb), width: rgb.width, height: rgb.height, to: encoded.width, encoded.height)
            #expect(Reference.psnr(Reference.luma(try decodeRGB(encoded.bytes, .jpeg).planes[0]), reference) >= 30, "\(name)")
        }
        // With alpha the pixels stay RGBA (the output is PNG).
        let alpha = try MappedFile(path: Fixture.image("webp-alpha.webp"))
        #expect(try WebPCodec.decode(alpha.view, scaledTo: nil, planes: true, path: "a.webp").layout == .rgba)
    }

    @Test func truncatedJPEGDecodesOnlyWhenAllowed() throws {
        let path = Fixture.invalid("truncated.jpg")
        #expect(throws: MediaError.self) { try run(path) }
        let (info, _, encoded) = try run(path, try ImageOptions(format: .png), probe: ProbeOptions(allowTruncated: true))
        #expect(info.diagnostics.map(\.code) == ["truncated"])
        #expect(encoded.diagnostics.contains { $0.code == "decode-warning" })
        #expect(encoded.width == 320)
    }
}

@Suite("PNG writer")
struct PNGWriterTests {
    /// Lossless through libpng's decoder, for every channel count, on content where Sub wins on some
    /// rows and Up on others; the same pixels give the same bytes.
    @Test(arguments: [1, 3, 4])
    func roundTripsThroughLibpng(_ channels: Int) throws {
        let plane = Reference.plane(width: 97, height: 41, channels: channels) { x, y, c in
            y % 2 == 0 ? UInt8((x * 7 + c * 50) & 0xFF) : UInt8((y * 13 + c * 3 + (x % 5)) & 0xFF)
        }
        let layout: PixelImage.Layout = channels == 1 ? .gray : (channels == 3 ? .rgb : .rgba)
        let bytes = try PNGCodec.encode(PixelImage(layout: layout, planes: [plane]), path: "t.png")
        #expect(bytes == (try PNGCodec.encode(PixelImage(layout: layout, planes: [plane]), path: "t.png")))
        let back = try decodeRGB(bytes, .png)
        #expect(back.layout == layout)
        #expect(memcmp(back.planes[0].base, plane.base, plane.rowBytes * plane.height) == 0)
        // Probing our own output finds exactly what we wrote.
        let info = try bytes.withUnsafeBytes { raw in PNGChunks.scan(ByteView(raw), maxFrames: 1) }
        #expect(info?.width == 97 && info?.height == 41 && info?.bitDepth == 8)
    }
}

@Suite("JPEG from planes at odd sizes")
struct OddPlaneEncodeTests {
    /// TurboJPEG reads 4:2:0 luma to an even height; an odd-height image must encode from a padded
    /// copy (it read one row past the plane before, and crashed a batch), and decode to its own size
    /// with the last row intact.
    @Test(arguments: [(1024, 683), (1001, 683), (17, 9), (2, 1)])
    func oddHeights(_ size: (Int, Int)) throws {
        let (w, h) = size
        let y = Reference.plane(width: w, height: h, channels: 1) { x, row, _ in UInt8(truncatingIfNeeded: row == h - 1 ? 200 : (x + row) % 90) }
        let cb = Reference.plane(width: (w + 1) / 2, height: (h + 1) / 2, channels: 1) { _, _, _ in 128 }
        let cr = Reference.plane(width: (w + 1) / 2, height: (h + 1) / 2, channels: 1) { _, _, _ in 128 }
        let bytes = try JPEGCodec.encode(PixelImage(layout: .ycbcr, planes: [y, cb, cr]), quality: 95, path: "odd.jpg")
        let decoded = try decodeRGB(bytes, .jpeg)
        #expect((decoded.width, decoded.height) == (w, h))
        let last = decoded.planes[0]
        #expect((0..<w).allSatisfy { abs(Int(last[$0, h - 1, 0]) - 200) <= 12 }, "the last row came back")
    }
}

/// The JPEG decoded, resized and encoded at once gives exactly the samples and bytes of
/// decode-then-resize-then-encode.
@Suite("JPEG decoded while resized")
struct JPEGStreamingTests {
    func same(_ a: PixelImage, _ b: PixelImage) -> Bool {
        guard a.layout == b.layout, a.planes.count == b.planes.count else { return false }
        for (p, q) in zip(a.planes, b.planes) {
            guard p.width == q.width, p.height == q.height, p.channels == q.channels else { return false }
            for y in 0..<p.height where memcmp(p.row(y), q.row(y), p.width * p.channels) != 0 { return false }
        }
        return true
    }

    func check(_ bytes: [UInt8], shrink: Double = 0.7, threads: Int = 2) throws -> Bool? {
        try bytes.withUnsafeBytes { raw in
            let v = ByteView(raw)
            let resampler = Resampler(threads: threads)
            var usual = try JPEGCodec.decode(v, scale: 1, output: .planes, path: "t.jpg").0
            let size = (Int(Double(usual.planes[0].width) * shrink), Int(Double(usual.planes[0].height) * shrink))
            guard let streamed = JPEGStreaming.decodeAndResize(v, size: size, resampler: resampler, encodeQuality: 85) else { return nil }
            resampler.resize(&usual, width: size.0, height: size.1, chroma: usual.layout == .ycbcr ? ((size.0 + 1) / 2, (size.1 + 1) / 2) : nil)
            // The JPEG written band by band is the one written from the finished planes.
            let whole = try JPEGCodec.encode(usual, quality: 85, path: "t.jpg")
            return same(streamed.image, usual) && streamed.jpeg == whole
        }
    }

    /// The plane writer's bytes are TurboJPEG's `tjCompressFromYUVPlanes` (accurate DCT), at odd
    /// sizes (edge padding) and even ones, 4:2:0 and gray, written in one call or row by row.
    /// (TurboJPEG itself reads past an odd-sided luma plane; the writer repeats the edge instead.)
    @Test func planeWriterIsTurboJPEG() throws {
        for (w, h, gray) in [(301, 203, false), (17, 9, false), (1, 1, false), (640, 480, false), (33, 47, true), (2, 3, false)] {
            let rgb = Plane(width: w, height: h, channels: 3) { x, y, c in UInt8(truncatingIfNeeded: (x * 13 + y * 7 + c * 60) ^ (x * y)) }
            let jpeg = try JPEGCodec.encode(PixelImage(layout: .rgb, planes: [rgb]), quality: 90, path: "t.jpg")
            let planes = try jpeg.withUnsafeBytes { try JPEGCodec.decode(ByteView($0), scale: 1, output: .planes, path: "t.jpg").0.planes }
            let image = gray ? PixelImage(layout: .gray, planes: [planes[0]]) : PixelImage(layout: .ycbcr, planes: planes)
            // TurboJPEG reads a 4:2:0 luma to even sides (a sample and a row past odd ones, whatever
            // lies there): give it those, the last sample and row repeated, as our writer pads.
            var padded = image.planes
            if !gray, w % 2 == 1 || h % 2 == 1 {
                let (pw, ph) = (w + w % 2, h + h % 2)
                let luma = Plane(width: pw, height: ph, channels: 1) { x, y, _ in planes[0][min(x, w - 1), min(y, h - 1), 0] }
                padded[0] = luma
            }
            let handle = tjInitCompress()
            defer { tjDestroy(handle) }
            var pointers: [UnsafePointer<UInt8>?] = padded.map { UnsafePointer($0.base) }
            var strides = padded.map { Int32($0.rowBytes) }
            var output: UnsafeMutablePointer<UInt8>?
            var size: UInt = 0
            #expect(tjCompressFromYUVPlanes(handle, &pointers, Int32(w), &strides, Int32(h), Int32((gray ? TJSAMP_GRAY : TJSAMP_420).rawValue),
                                            &output, &size, 77, TJFLAG_ACCURATEDCT) == 0)
            let turbo = Array(UnsafeBufferPointer(start: output, count: Int(size)))
            tjFree(output)
            #expect(try JPEGCodec.encode(image, quality: 77, path: "t.jpg") == turbo, "\(w)×\(h)")
            let writer = try JPEGPlaneWriter(width: w, height: h, gray: gray, quality: 77, path: "t.jpg")
            for rows in stride(from: 1, through: h, by: 5) {
                try writer.write(image.planes, available: image.planes.map { min($0.height, (rows * $0.height + h - 1) / h) })
            }
            try writer.write(image.planes, available: image.planes.map(\.height))
            #expect(try writer.finish() == turbo, "\(w)×\(h) row by row")
        }
    }

    /// An odd-sized 4:2:0 JPEG decodes to its own size (TurboJPEG's luma room is not picture).
    @Test func oddSizedLumaIsTheImagesOwn() throws {
        let rgb = Plane(width: 301, height: 203, channels: 3) { x, y, c in UInt8(truncatingIfNeeded: x + y + c) }
        let jpeg = try JPEGCodec.encode(PixelImage(layout: .rgb, planes: [rgb]), quality: 90, path: "t.jpg")
        let planes = try jpeg.withUnsafeBytes { try JPEGCodec.decode(ByteView($0), scale: 1, output: .planes, path: "t.jpg").0.planes }
        #expect(planes.map(\.width) == [301, 151, 151] && planes.map(\.height) == [203, 102, 102])
    }

    @Test func samePixelsAsDecodeThenResize() throws {
        // 4:2:0 at odd sizes (partial MCUs at the right and bottom edges), then the fixtures: 4:4:4
        // baseline, progressive, gray.
        for (w, h) in [(301, 203), (640, 480), (1000, 17 * 16 + 5)] {
            let rgb = Plane(width: w, height: h, channels: 3) { x, y, c in UInt8(truncatingIfNeeded: (x * 7 + y * 3 + c * 50) ^ (x * y >> 3)) }
            let jpeg = try JPEGCodec.encode(PixelImage(layout: .rgb, planes: [rgb]), quality: 90, path: "t.jpg")
            #expect(try check(jpeg) == true, "\(w)×\(h)")
        }
        // Tall enough that the decoded planes are rings much shorter than the picture (rows
        // reused many times over), with one worker and with several (bands finishing out of order).
        for (w, h, threads) in [(200, 2000, 2), (120, 4000, 5), (96, 4099, 3)] {
            let rgb = Plane(width: w, height: h, channels: 3) { x, y, c in UInt8(truncatingIfNeeded: (x * 5 + y * 11 + c * 40) ^ (y >> 2)) }
            let jpeg = try JPEGCodec.encode(PixelImage(layout: .rgb, planes: [rgb]), quality: 90, path: "t.jpg")
            let layout = try jpeg.withUnsafeBytes { raw in
                var components: Int32 = 0
                var widths = [Int32](repeating: 0, count: 4), heights = widths, strides = widths, perRow = widths
                _ = kimi_jpeg_plane_layout(raw.baseAddress!.assumingMemoryBound(to: UInt8.self), raw.count, &components, &widths, &heights,
                                           &strides, &perRow, nil, 0)
                return (heights: heights.prefix(Int(components)).map(Int.init), perRow: perRow.prefix(Int(components)).map(Int.init))
            }
            let size = (Int(Double(w) * 0.7), Int(Double(h) * 0.7))
            let plan = Resampler(threads: threads).streamingResize(widths: [w, (w + 1) / 2, (w + 1) / 2], heights: layout.heights,
                                                                   sizes: [size, ((size.0 + 1) / 2, (size.1 + 1) / 2), ((size.0 + 1) / 2, (size.1 + 1) / 2)],
                                                                   rowsPerIMCU: layout.perRow)
            #expect(plan.ringRows.enumerated().allSatisfy { $1 > 0 && $1 * 2 <= layout.heights[$0] }, "\(plan.ringRows) of \(layout.heights)")
            #expect(try check(jpeg, threads: threads) == true, "\(w)×\(h), \(threads) threads")
        }
        for name in ["jpeg-baseline.jpg", "jpeg-progressive.jpg", "jpeg-gray.jpg"] {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Fixture.image(name))))
            #expect(try check(bytes) == true, "\(name)")
        }
        // Not for this path: CMYK; a resize that is not a shrink of less than half.
        let cmyk = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Fixture.image("jpeg-cmyk.jpg"))))
        #expect(try check(cmyk) == nil)
        let baseline = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Fixture.image("jpeg-baseline.jpg"))))
        #expect(try check(baseline, shrink: 0.4) == nil)
        #expect(try check(baseline, shrink: 1) == nil)
    }
}


/// The PNG fast path (libdeflate + our unfilter) gives exactly libpng's samples, and leaves to
/// libpng what it does not take.
@Suite("PNG fast path")
struct PNGFastDecoderTests {
    @Test func samePixelsAsLibpng() throws {
        var taken = 0, left = 0, sixteen = 0
        // KIMI_MEDIA_PNG_FOLDER adds a folder of third-party PNGs (the `make realworld` cache: 361 of
        // its 473 take the fast path, 7 of its 11 16-bit ones among them, every one identical to
        // libpng's samples).
        let extra = ProcessInfo.processInfo.environment["KIMI_MEDIA_PNG_FOLDER"].map { [URL(fileURLWithPath: $0)] } ?? []
        for root in ["images", "quirks", "convert"].map({ Fixture.root.appendingPathComponent($0) }) + extra {
            let files = (FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".png") }
            for file in files {
                let bytes = try [UInt8](Data(contentsOf: root.appendingPathComponent(file)))
                try bytes.withUnsafeBytes { raw in
                    let v = ByteView(raw)
                    guard let fast = PNGFastDecoder.decode(v) else {
                        left += 1
                        return
                    }
                    taken += 1
                    if v.u8(24) == 16 { sixteen += 1 }
                    let png = try PNGCodec.decodeWithLibpng(v, path: file)
                    let (a, b) = (fast.planes[0], png.planes[0])
                    #expect(fast.layout == png.layout && a.width == b.width && a.height == b.height && a.channels == b.channels, "\(file)")
                    for y in 0..<min(a.height, b.height) where memcmp(a.row(y), b.row(y), a.width * a.channels) != 0 {
                        Issue.record("\(file): row \(y) differs")
                        break
                    }
                }
            }
        }
        #expect(taken >= 3 && left >= 1 && sixteen >= 1, "fast \(taken) (16-bit \(sixteen)), libpng \(left)")
    }

    /// Every filter type, on every row kind, against libpng (rows filtered by hand).
    @Test func everyFilter() throws {
        let (w, h, bpp) = (37, 11, 3)
        let pixels = (0..<(w * h * bpp)).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 13) }
        var raw: [UInt8] = []
        for y in 0..<h {
            let type = UInt8(y % 5)
            raw.append(type)
            for x in 0..<(w * bpp) {
                let p = Int(pixels[y * w * bpp + x])
                let a = x >= bpp ? Int(pixels[y * w * bpp + x - bpp]) : 0
                let b = y > 0 ? Int(pixels[(y - 1) * w * bpp + x]) : 0
                let c = y > 0 && x >= bpp ? Int(pixels[(y - 1) * w * bpp + x - bpp]) : 0
                let predictor: Int
                switch type {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                default:
                    let pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c)
                    predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                }
                raw.append(UInt8((p - predictor) & 0xFF))
            }
        }
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: raw.count)
        defer { buffer.deallocate() }
        buffer.initialize(from: raw, count: raw.count)
        #expect(PNGFastDecoder.unfilter(buffer, rowBytes: w * bpp, height: h, bpp: bpp))
        #expect(Array(UnsafeBufferPointer(start: buffer, count: w * h * bpp)) == pixels)
        buffer[0] = 9  // an unknown filter type
        #expect(!PNGFastDecoder.unfilter(buffer, rowBytes: w * bpp, height: h, bpp: bpp))
    }
}
