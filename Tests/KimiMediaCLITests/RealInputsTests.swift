import Foundation
import MediaCodecs
import MediaCore
import Testing
import TestSupport

/// What phones, cameras, screen recorders and other tools write goes in; what the API accepts comes
/// out (Fixtures/convert and Fixtures/quirks, see Fixtures/README.md).
@Suite("Real inputs: converted formats and valid oddities")
struct RealInputsTests {
    /// Each file in Fixtures/convert: its format, and what `prepare` does to it.
    static let converted: [String: (format: MediaFormat, convert: Conversion)] = [
        "heic.heic": (.heif, .encode), "heic-grid.heic": (.heif, .encode), "heic-grid-portrait.heic": (.heif, .encode),
        "avif.avif": (.avif, .encode), "avif-alpha.avif": (.avif, .encode),
        "tiff.tiff": (.tiff, .encode), "lab.tiff": (.tiff, .encode), "float32.tiff": (.tiff, .encode),
        "tga.tga": (.otherImage, .encode), "plain.ppm": (.otherImage, .encode), "bmp.bmp": (.bmp, .encode), "qoi.qoi": (.qoi, .encode), "jxl.jxl": (.jxl, .encode),
        "jpeg2000.jp2": (.otherImage, .encode),
        "h264.mkv": (.mkv, .remux), "av1.mkv": (.mkv, .encode), "h264.ts": (.mpegts, .remux),
        "camcorder.m2ts": (.mpegts, .remux), "theora.ogv": (.ogg, .encode), "mpeg2.mxf": (.mxf, .encode),
        "h264.nut": (.otherVideo, .remux), "raw.y4m": (.y4m, .encode),
    ]

    func manifest(_ folder: String) throws -> [[String: Any]] {
        try jsonLines(String(decoding: try Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.jsonl")), as: UTF8.self))
    }

    func entry(_ lines: [[String: Any]], _ name: String) throws -> [String: Any] {
        try #require(lines.first { ($0["source"] as? String)?.hasSuffix("/" + name) == true }, "no entry for \(name)")
    }

    func outputs(_ entry: [String: Any]) -> [[String: Any]] { entry["outputs"] as? [[String: Any]] ?? [] }

    func codes(_ entry: [String: Any]) -> [String] { (entry["diagnostics"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String } }

    @Test func everyFixtureIsListed() {
        #expect(Set(Fixture.names(in: "convert")) == Set(Self.converted.keys))
    }

    @Test(arguments: Self.converted.keys.sorted())
    func probeNamesTheFormatAndTheConversion(_ name: String) throws {
        let info = try MediaProber.probe(path: Fixture.root.appendingPathComponent("convert/\(name)").path)
        let expected = try #require(Self.converted[name])
        #expect(info.format == expected.format)
        #expect(!info.accepted)
        #expect(info.convert == expected.convert)
        #expect(info.width == (["raw.y4m": 32, "tga.tga": 64, "plain.ppm": 64, "heic-grid.heic": 200, "heic-grid-portrait.heic": 150][name] ?? 160))
        #expect(info.kind == expected.format.kind)
    }

    /// `prepare` turns every converted format into an accepted output: the image re-encoded (PNG when
    /// it has alpha), the video an H.264 MP4 (its packets copied when they already are H.264), plus
    /// keyframes; each output probes as accepted.
    @Test func convertedFormatsComeOutAccepted() async throws {
        let out = try TemporaryFolder()
        let result = await run(["prepare", "--out", out.path, Fixture.root.appendingPathComponent("convert").path])
        #expect(result.status == 0, "\(result.err)")
        let lines = try manifest(out.path)
        #expect(lines.count == Self.converted.count)
        for (name, expected) in Self.converted {
            let line = try entry(lines, name)
            #expect(line["status"] as? String == "ok", "\(name): \(line["error"] ?? "")")
            let files = outputs(line)
            let main = try #require(files.first)
            let info = try MediaProber.probe(path: out.path + "/" + (main["path"] as! String))
            #expect(info.accepted, "\(name) → \(info.format)")
            if expected.format.kind == .image {
                #expect(info.format == (name == "avif-alpha.avif" ? .png : .jpeg))
                #expect(info.width == (["tga.tga": 64, "plain.ppm": 64, "heic-grid.heic": 200, "heic-grid-portrait.heic": 150][name] ?? 160))
            } else {
                #expect(info.format == .mp4 && info.videoCodec == "h264")
                let encode = (line["plan"] as? [String: Any])?["encode"] as? [String: Any]
                #expect(encode?["video"] as? String == (expected.convert == .remux ? "copy" : "encode"), "\(name)")
                #expect(files.count >= 2, "\(name) has no frames")
            }
        }
    }

    /// libtiff's RGBA interface reads CIE L*a*b* (FFmpeg cannot): the colours match the same photo
    /// read from the RGB TIFF.
    @Test func labTIFFMatchesRGB() throws {
        func decoded(_ name: String) throws -> [Double] {
            let path = Fixture.root.appendingPathComponent("convert/\(name)").path
            let info = try MediaProber.probe(path: path)
            let image = try ImagePipeline.decode(path: path, info: info, plan: ImagePlan.make(for: info, options: try ImageOptions(format: .png)))
            return Reference.channel(image.planes[0], 0) + Reference.channel(image.planes[0], 2)
        }
        #expect(Reference.psnr(try decoded("lab.tiff"), try decoded("tiff.tiff")) > 30)
    }

    @Test func alphaSurvivesHEIFConversion() async throws {
        let out = try TemporaryFolder()
        _ = await run(["prepare", "--out", out.path, Fixture.root.appendingPathComponent("convert/avif-alpha.avif").path])
        let png = out.path + "/avif-alpha.png"
        let info = try MediaProber.probe(path: png)
        #expect(info.hasAlpha)
        let pixels = try ImagePipeline.decode(path: png, info: info, plan: ImagePlan.make(for: info, options: try ImageOptions(format: .png)))
        // The alpha ramp runs left (transparent) to right (opaque).
        let row = pixels.planes[0].row(60)
        #expect(row[3] < 40 && row[159 * 4 + 3] > 215)
    }

    @Test func validOdditiesArePrepared() async throws {
        let out = try TemporaryFolder()
        // --format png forces every image through a decode (no pass-through), as a resize would.
        let result = await run(["prepare", "--format", "png", "--out", out.path, Fixture.root.appendingPathComponent("quirks").path])
        #expect(result.status == 0, "\(result.err)")
        let lines = try manifest(out.path)
        #expect(lines.count == Fixture.names(in: "quirks").count)
        for line in lines { #expect(line["status"] as? String == "ok", "\(line["source"] ?? ""): \(line["error"] ?? "")") }
        #expect(codes(try entry(lines, "apng-huge-frame-count.png")).contains("animation-ignored"))
        // The camera's MPO is its first picture; the misnamed file is found by content.
        #expect(outputs(try entry(lines, "camera.mpo")).first?["width"] as? Int == 320)
        #expect(outputs(try entry(lines, "misnamed.dat")).first?["path"] as? String == "misnamed.png")
    }

    /// Our BMP reader: a V3 header with alpha bit fields (which FFmpeg refuses) keeps its alpha; a
    /// bare clipboard DIB is found by content and read.
    @Test func bitmapsFFmpegRefuses() throws {
        func pixels(_ name: String) throws -> (PixelImage, MediaInfo) {
            let path = Fixture.root.appendingPathComponent("quirks/\(name)").path
            let info = try MediaProber.probe(path: path)
            return (try ImagePipeline.decode(path: path, info: info, plan: ImagePlan.make(for: info, options: try ImageOptions(format: .png))), info)
        }
        let (alpha, alphaInfo) = try pixels("bmp-v3-alpha.bmp")
        #expect(alphaInfo.format == .bmp && alphaInfo.hasAlpha && alpha.layout == .rgba)
        let top = alpha.planes[0].row(0)
        #expect((0..<4).map { top[$0] } == [255, 0, 0, 255])           // left: opaque red
        #expect((60..<64).map { top[$0] } == [0, 0, 255, 128])         // right: half-transparent blue
        let (dib, dibInfo) = try pixels("clipboard.dib")
        #expect(dibInfo.format == .bmp && dibInfo.width == 12 && dibInfo.height == 6)
        let bottom = dib.planes[0].row(5)
        #expect((0..<3).map { bottom[$0] } == [0, 255, 0])
    }

    /// Icons: a cursor's DIB with its AND mask as alpha; an ICNS's PNG element.
    @Test func iconsGiveTheirLargestPicture() throws {
        let cursorPath = Fixture.root.appendingPathComponent("quirks/cursor.cur").path
        let cursorInfo = try MediaProber.probe(path: cursorPath)
        #expect(cursorInfo.format == .ico && cursorInfo.width == 8 && cursorInfo.height == 8)
        let cursor = try ImagePipeline.decode(path: cursorPath, info: cursorInfo, plan: ImagePlan.make(for: cursorInfo, options: ImageOptions()))
        #expect(cursor.layout == .rgba)
        let row = cursor.planes[0].row(0)
        #expect(row[3] == 0 && (28..<32).map { row[$0] } == [255, 0, 0, 255])  // left transparent, right opaque red
        let icnsPath = Fixture.root.appendingPathComponent("quirks/icon.icns").path
        let icns = try MediaProber.probe(path: icnsPath)
        #expect(icns.format == .ico && icns.width == 320 && icns.height == 240)
    }

    /// A GIF with no colour table at all decodes with a gray ramp (index i → gray i), as Pillow reads it.
    @Test func gifWithoutPaletteIsGray() async throws {
        let out = try TemporaryFolder()
        _ = await run(["prepare", "--format", "png", "--out", out.path, Fixture.root.appendingPathComponent("quirks/gif-no-palette.gif").path])
        let png = out.path + "/gif-no-palette.png"
        let info = try MediaProber.probe(path: png)
        let image = try ImagePipeline.decode(path: png, info: info, plan: ImagePlan.make(for: info, options: try ImageOptions(format: .png)))
        let row = image.planes[0].row(0), channels = image.planes[0].channels
        #expect((0..<4).map { Int(row[$0 * channels]) } == [0, 1, 2, 3])
    }

    /// TurboJPEG refuses luma-subsampled chroma ("Could not determine subsampling type"); libjpeg
    /// decodes it, and the picture matches the same photo at ordinary 4:2:0 (its luma is stored at
    /// half resolution, hence ~27 dB, where a decode with the wrong sampling gives ~10 dB).
    @Test func unusualChromaSamplingDecodes() throws {
        func decoded(_ name: String) throws -> [Double] {
            let path = Fixture.root.appendingPathComponent("quirks/\(name)").path
            let info = try MediaProber.probe(path: path)
            let image = try ImagePipeline.decode(path: path, info: info, plan: ImagePlan.make(for: info, options: try ImageOptions(format: .png)))
            return Reference.luma(image.planes[0])
        }
        let unusual = try decoded("jpeg-unusual-sampling.jpg"), ordinary = try decoded("jpeg-ordinary-sampling.jpg")
        #expect(unusual.count == 160 * 120)
        #expect(Reference.psnr(unusual, ordinary) > 24)
    }

    /// Photoshop-style stray bytes before a marker: libjpeg warns and decodes, and so do we — the
    /// file passes through, and a resize decodes it.
    @Test func extraneousBytesBeforeAMarker() async throws {
        let path = Fixture.root.appendingPathComponent("quirks/jpeg-extraneous-bytes.jpg").path
        let info = try MediaProber.probe(path: path)
        #expect(info.accepted && info.width == 320)
        let out = try TemporaryFolder()
        let result = await run(["prepare", "--json", "--max-side", "100", "--out", out.path, path])
        #expect(result.status == 0)
        let line = try #require(try jsonLines(result.out).first)
        #expect(outputs(line).first?["width"] as? Int == 100)
    }

    /// H.264 4:2:0 needs even sides: the video is written at the even size just below, the frames
    /// keep the exact fitted size, and nothing fails.
    @Test func oddSizesAreEncodedEven() async throws {
        let out = try TemporaryFolder()
        let result = await run(["prepare", "--json", "--out", out.path, Fixture.root.appendingPathComponent("quirks/odd-size.webm").path])
        #expect(result.status == 0, "\(result.err)")
        let files = outputs(try #require(try jsonLines(result.out).first))
        #expect(files.first?["width"] as? Int == 320 && files.first?["height"] as? Int == 178)
        #expect(files.dropFirst().allSatisfy { $0["width"] as? Int == 321 && $0["height"] as? Int == 179 })
        #expect(files.count >= 2)

        let film = try TemporaryFolder()
        let fitted = await run(["prepare", "--json", "--max-side", "301", "--out", film.path,
                                Fixture.root.appendingPathComponent("quirks/film-239.mp4").path])
        #expect(fitted.status == 0, "\(fitted.err)")
        let filmFiles = outputs(try #require(try jsonLines(fitted.out).first))
        #expect(filmFiles.first?["width"] as? Int == 300 && filmFiles.first?["height"] as? Int == 126)
        #expect(filmFiles.last?["width"] as? Int == 301)
    }

    /// Audio no decoder knows is dropped (with the reason); the video file is still written.
    @Test func unknownAudioIsDropped() async throws {
        let out = try TemporaryFolder()
        let result = await run(["prepare", "--json", "--out", out.path, Fixture.root.appendingPathComponent("quirks/unknown-audio.avi").path])
        #expect(result.status == 0, "\(result.err)")
        let line = try #require(try jsonLines(result.out).first)
        let video = try #require(outputs(line).first)
        #expect(video["format"] as? String == "mp4")
        let info = try MediaProber.probe(path: out.path + "/" + (video["path"] as! String))
        #expect(info.videoCodec == "h264" && !info.hasAudio)
        let encode = (line["plan"] as? [String: Any])?["encode"] as? [String: Any]
        #expect(encode?["audio"] as? String == "drop")
    }

    /// A folder is walked by content: the MPO and the misnamed PNG are prepared exactly as when they
    /// are named, text is skipped with the reason.
    @Test func folderAndFileAgree() async throws {
        let folder = try TemporaryFolder()
        try folder.copy(Fixture.root.appendingPathComponent("quirks/camera.mpo").path, as: "in/camera.mpo")
        try folder.copy(Fixture.root.appendingPathComponent("quirks/misnamed.dat").path, as: "in/misnamed.dat")
        try folder.copy(Fixture.image("png-rgb.png"), as: "in/noextension")
        try folder.write("in/notes.txt", Array("not media\n".utf8))
        let result = await run(["prepare", "--out", folder.path + "/out", folder.path + "/in"])
        #expect(result.status == 0)
        let lines = try manifest(folder.path + "/out")
        #expect(lines.filter { $0["status"] as? String == "ok" }.count == 3)
        let notes = try entry(lines, "notes.txt")
        #expect(notes["status"] as? String == "skipped")
        let probed = await run(["probe", "--json", folder.path + "/in"])
        #expect(try jsonLines(probed.out).count == 3)
    }

    /// With --allow-truncated, the truncation is the entry's own diagnostic, not only its probe's.
    @Test func truncationShowsInTheEntry() async throws {
        let out = try TemporaryFolder()
        let result = await run(["prepare", "--json", "--allow-truncated", "--out", out.path, Fixture.invalid("truncated.mp4"),
                                Fixture.invalid("truncated.jpg")])
        let lines = try jsonLines(result.out)
        #expect(lines.count == 2)
        for line in lines where line["status"] as? String == "ok" {
            #expect(codes(line).contains("truncated"), "\(line["source"] ?? "")")
        }
        #expect(lines.contains { $0["status"] as? String == "ok" })
    }
}
