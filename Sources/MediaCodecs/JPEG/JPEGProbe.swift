import CTurboJPEG
import MediaCore

/// Probes a JPEG from its marker segments and `tjDecompressHeader3`; no pixel is decoded.
enum JPEGProbe {
    static func probe(_ file: MappedFile, _ context: inout ProbeContext) throws(MediaError) -> MediaInfo {
        let v = file.view
        let markers = JPEGMarkers.scan(v)
        guard let decompressor = TurboJPEGDecompressor() else {
            throw context.error(.decodeFailed, "tjInitDecompress failed (out of memory)")
        }
        let header: (width: Int, height: Int, subsampling: Int32, colorspace: Int32)
        do {
            header = try decompressor.header(v)
        } catch {
            // libjpeg's own header reader accepts what TurboJPEG's refuses for reasons other than damage.
            guard let fallback = JPEGFallback.header(v) else {
                throw context.error(markers.cutOff ? .truncatedInput : .corruptInput, "invalid JPEG header", cause: error)
            }
            let colorspace = fallback.components == 1 ? TJCS_GRAY : fallback.components == 4 ? TJCS_CMYK : TJCS_YCbCr
            header = (fallback.width, fallback.height, -1, Int32(colorspace.rawValue))
        }
        try context.checkPixels(header.width, header.height)
        try context.checkIntegrity(.jpeg, v)
        let orientation = markers.orientation ?? .up
        return MediaInfo(
            path: context.path, kind: .image, format: .jpeg, storedWidth: header.width, storedHeight: header.height,
            orientation: orientation.rawValue, swapsDimensions: orientation.swapsDimensions, frameCount: 1,
            bitDepth: 8, colorModel: colorModel(header.colorspace), progressive: markers.progressive,
            bytes: Int64(v.count), accepted: context.accepts(.jpeg, v.count), diagnostics: context.diagnostics
        )
    }

    private static func colorModel(_ colorspace: Int32) -> String {
        switch colorspace {
        case Int32(TJCS_GRAY.rawValue): "gray"
        case Int32(TJCS_CMYK.rawValue): "cmyk"
        case Int32(TJCS_YCCK.rawValue): "ycck"
        default: "rgb"
        }
    }
}
