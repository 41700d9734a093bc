import CHeifLoader
import MediaCore

/// HEIF/HEIC and AVIF through libheif 1.15 (HEVC pictures decoded by libde265, AV1 by dav1d or
/// libaom). The primary image is read: an image sequence or a burst gives its primary picture, as
/// Photos shows it. libheif applies the `irot`/`imir`/`clap` transformations when it decodes, and
/// reports the handle's size after them, so the displayed size is the handle's and `storedWidth`
/// is the coded (`ispe`) size; EXIF orientation inside a HEIF is ignored, as the HEIF spec says.
enum HEIFCodec {
    /// `nil` when libheif is ready, otherwise why not (e.g. `libheif.so.1` is not installed).
    static let loadError: String? = {
        var buffer = [CChar](repeating: 0, count: 512)
        guard kimi_heif_load(&buffer, buffer.count) != 0 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    /// An opened HEIF context and its primary image handle (`heif_context_alloc` …
    /// `heif_context_free`, `heif_image_handle_release`). The bytes must outlive it.
    final class Primary {
        let context: OpaquePointer
        let handle: OpaquePointer

        init(_ v: ByteView, maxPixels: Int) throws(HEIFError) {
            if let why = HEIFCodec.loadError { throw HEIFError(code: -1, text: "libheif could not be loaded: \(why)") }
            guard let context = kimi_heif_context_alloc() else { throw HEIFError(code: -1, text: "heif_context_alloc failed") }
            // libheif's own guard against huge grids: no side longer than the pixel limit allows.
            kimi_heif_context_set_maximum_image_size_limit(context, Int32(clamping: maxPixels))
            let read = kimi_heif_context_read_from_memory_without_copy(context, v.bytes.baseAddress, v.count, nil)
            // An error's message may live in the context (found by fuzzing: a use after free when
            // it was read after `heif_context_free`): copied first, then the context freed.
            guard read.code == heif_error_Ok else {
                let error = HEIFError(read)
                kimi_heif_context_free(context)
                throw error
            }
            var handle: OpaquePointer?
            let primary = kimi_heif_context_get_primary_image_handle(context, &handle)
            guard primary.code == heif_error_Ok, let handle else {
                let error = HEIFError(primary)
                kimi_heif_context_free(context)
                throw error
            }
            self.context = context
            self.handle = handle
        }

        deinit {
            kimi_heif_image_handle_release(handle)
            kimi_heif_context_free(context)
        }
    }

    static func probe(_ file: MappedFile, _ format: MediaFormat, _ context: inout ProbeContext) throws(MediaError) -> MediaInfo {
        let v = file.view
        let primary: Primary
        do {
            primary = try Primary(v, maxPixels: context.options.limits.maxPixels)
        } catch {
            throw context.error(error.code == Int32(heif_error_Memory_allocation_error.rawValue) ? .limitExceeded : error.mediaCode,
                                "cannot read the \(format == .avif ? "AVIF" : "HEIF") image", cause: error)
        }
        var width = Int(kimi_heif_image_handle_get_width(primary.handle)), height = Int(kimi_heif_image_handle_get_height(primary.handle))
        guard width > 0, height > 0 else { throw context.error(.corruptInput, "the primary image declares \(width)×\(height)") }
        try context.checkPixels(width, height)
        let ispeWidth = Int(kimi_heif_image_handle_get_ispe_width(primary.handle))
        let ispeHeight = Int(kimi_heif_image_handle_get_ispe_height(primary.handle))
        // libheif 1.15 reports some rotated images (camera grids) at their coded size although it
        // decodes them turned: the primary item's `irot` says whether the sides swap.
        if (width, height) == (ispeWidth, ispeHeight), width != height, HEIFBoxes.primaryRotationSwapsSides(v) {
            (width, height) = (height, width)
        }
        let depth = Int(kimi_heif_image_handle_get_luma_bits_per_pixel(primary.handle))
        let images = Int(kimi_heif_context_get_number_of_top_level_images(primary.context))
        var info = MediaInfo(
            path: context.path, kind: .image, format: format,
            storedWidth: ispeWidth > 0 ? ispeWidth : width, storedHeight: ispeHeight > 0 ? ispeHeight : height,
            orientation: 1, swapsDimensions: false, hasAlpha: kimi_heif_image_handle_has_alpha_channel(primary.handle) != 0,
            frameCount: max(1, images), bitDepth: depth > 0 ? depth : nil, colorModel: "rgb",
            bytes: Int64(v.count), accepted: false, diagnostics: context.diagnostics
        )
        (info.width, info.height) = (width, height)  // libheif's size is after its transformations
        return info
    }

    /// Decodes the primary image, transformations applied: to JFIF YCbCr planes by
    /// ``HEVCPictures`` when `planes` (a JPEG output) and the image is one it reads exactly, else to
    /// 8-bit RGB or RGBA by libheif. `size` is the probe's (displayed) size.
    static func decode(_ v: ByteView, hasAlpha: Bool, size: (width: Int, height: Int), planes: Bool, threads: Int,
                       maxPixels: Int, path: String) throws(MediaError) -> PixelImage {
        if planes, !hasAlpha, let layout = HEIFBoxes.hevcLayout(v), layout.width * layout.height <= maxPixels,
           (layout.orientation.swapsDimensions ? (layout.height, layout.width) : (layout.width, layout.height)) == size,
           let image = try? HEVCPictures.decode(v, layout: layout, threads: threads) {
            return image
        }
        return try decode(v, hasAlpha: hasAlpha, maxPixels: maxPixels, path: path)
    }

    /// Decodes the primary image by libheif, transformations applied, to 8-bit RGB or RGBA.
    static func decode(_ v: ByteView, hasAlpha: Bool, maxPixels: Int, path: String) throws(MediaError) -> PixelImage {
        func fail(_ error: HEIFError) -> MediaError {
            MediaError(.decodeFailed, path: path, stage: .decode, "cannot decode the HEIF image", cause: error)
        }
        let primary: Primary
        do { primary = try Primary(v, maxPixels: maxPixels) } catch { throw fail(error) }
        guard let options = kimi_heif_decoding_options_alloc() else { throw fail(HEIFError(code: -1, text: "out of memory")) }
        defer { kimi_heif_decoding_options_free(options) }
        kimi_heif_configure_decoding(options)
        var image: OpaquePointer?
        let chroma = hasAlpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB
        let status = kimi_heif_decode_image(primary.handle, &image, heif_colorspace_RGB, chroma, options)
        guard status.code == heif_error_Ok, let image else { throw fail(HEIFError(status)) }
        defer { kimi_heif_image_release(image) }
        var stride: Int32 = 0
        let width = Int(kimi_heif_image_get_width(image, heif_channel_interleaved))
        let height = Int(kimi_heif_image_get_height(image, heif_channel_interleaved))
        guard width > 0, height > 0, let pixels = kimi_heif_image_get_plane_readonly(image, heif_channel_interleaved, &stride) else {
            throw fail(HEIFError(code: -1, text: "the decoded image has no pixels"))
        }
        let channels = hasAlpha ? 4 : 3
        let plane = Plane(width: width, height: height, channels: channels)
        for y in 0..<height {
            plane.row(y).update(from: pixels + y * Int(stride), count: width * channels)
        }
        return PixelImage(layout: hasAlpha ? .rgba : .rgb, planes: [plane])
    }
}

/// A libheif failure: its error code and message (`struct heif_error`).
struct HEIFError: Error, Sendable, CustomStringConvertible {
    var code: Int32
    var text: String

    init(code: Int32, text: String) {
        self.code = code
        self.text = text
    }

    init(_ error: heif_error) {
        code = Int32(error.code.rawValue)
        text = error.message.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "unknown error"
    }

    var description: String { "libheif: \(text)" }

    /// Unsupported features are the file's kind; everything else is damage.
    var mediaCode: MediaError.Code {
        switch code {
        case Int32(heif_error_Unsupported_filetype.rawValue), Int32(heif_error_Unsupported_feature.rawValue): .unsupportedFormat
        case -1: .decodeFailed
        default: .corruptInput
        }
    }
}

/// The few HEIF boxes libheif's API does not expose: the primary item's transformative properties.
/// `meta` → `pitm` (the primary item), `iprp` → `ipco` (properties, numbered from 1) and `ipma`
/// (which properties each item has).
enum HEIFBoxes {
    /// Whether the primary item has an `irot` of 90° or 270°.
    static func primaryRotationSwapsSides(_ v: ByteView) -> Bool {
        guard let meta = child("meta", in: 0..<v.count, v).map({ ($0.lowerBound + 4)..<$0.upperBound }),  // after version and flags
              let pitm = child("pitm", in: meta, v), let iprp = child("iprp", in: meta, v),
              let ipco = child("ipco", in: iprp, v), let ipma = child("ipma", in: iprp, v),
              let pitmVersion = v.u8(pitm.lowerBound)
        else { return false }
        let primary = Int(pitmVersion == 0 ? UInt32(v.u16be(pitm.lowerBound + 4) ?? 0) : v.u32be(pitm.lowerBound + 4) ?? 0)
        // The properties in order: index i (from 1) is the i-th box inside ipco.
        var properties: [(type: String, body: Range<Int>)] = []
        var at = ipco.lowerBound
        while let (type, body, end) = box(at, limit: ipco.upperBound, v) {
            properties.append((type, body))
            at = end
        }
        guard let version = v.u8(ipma.lowerBound), let flags = v.u8(ipma.lowerBound + 3),
              let count = v.u32be(ipma.lowerBound + 4) else { return false }
        at = ipma.lowerBound + 8
        for _ in 0..<min(Int(count), 1 << 16) {
            guard let item = version < 1 ? v.u16be(at).map(UInt32.init) : v.u32be(at) else { return false }
            at += version < 1 ? 2 : 4
            guard let associations = v.u8(at) else { return false }
            at += 1
            for _ in 0..<Int(associations) {
                let index: Int
                if flags & 1 != 0 {
                    index = Int((v.u16be(at) ?? 0) & 0x7FFF)
                    at += 2
                } else {
                    index = Int((v.u8(at) ?? 0) & 0x7F)
                    at += 1
                }
                guard Int(item) == primary, index >= 1, index <= properties.count, properties[index - 1].type == "irot" else { continue }
                return (v.u8(properties[index - 1].body.lowerBound) ?? 0) & 1 == 1
            }
        }
        return false
    }

    /// The body of the first box of `type` directly inside `range` (a full box's version and flags
    /// included).
    static func child(_ type: String, in range: Range<Int>, _ v: ByteView) -> Range<Int>? {
        var at = range.lowerBound
        while let (found, body, end) = box(at, limit: range.upperBound, v) {
            if found == type { return body }
            at = end
        }
        return nil
    }

    /// The box at `at`: its type, body and end (32- and 64-bit sizes; 0 means to the limit).
    static func box(_ at: Int, limit: Int, _ v: ByteView) -> (String, Range<Int>, Int)? {
        guard at + 8 <= limit, let size32 = v.u32be(at), let type = v.fourCC(at + 4) else { return nil }
        var header = 8, size = Int(size32)
        if size32 == 1 {
            guard let size64 = v.u64be(at + 8), size64 < UInt64(Int.max) else { return nil }
            (header, size) = (16, Int(size64))
        } else if size32 == 0 {
            size = limit - at
        }
        guard size >= header, size <= limit - at else { return nil }
        return (type, (at + header)..<(at + size), at + size)
    }
}
