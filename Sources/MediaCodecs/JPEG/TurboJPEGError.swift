import CTurboJPEG

/// A TurboJPEG failure: the function, its error code (`TJERR_WARNING`/`TJERR_FATAL`) and text.
struct TurboJPEGError: Error, Sendable, CustomStringConvertible {
    var function: String
    var fatal: Bool
    var text: String

    var description: String { "\(function): \(text)" }
}

/// Owns a TurboJPEG decompressor handle (`tjInitDecompress` / `tjDestroy`).
struct TurboJPEGDecompressor: ~Copyable {
    let handle: tjhandle

    init?() {
        guard let handle = tjInitDecompress() else { return nil }
        self.handle = handle
    }

    deinit { tjDestroy(handle) }

    /// The one status check for TurboJPEG calls. The error state is read only when the status says
    /// failure: TurboJPEG 2.1.5 keeps stale error strings after clean calls.
    func check(_ status: Int32, _ function: String) throws(TurboJPEGError) {
        guard status != 0 else { return }
        let text = tjGetErrorStr2(handle).map { String(cString: $0) } ?? "unknown error"
        throw TurboJPEGError(function: function, fatal: tjGetErrorCode(handle) == Int32(TJERR_FATAL.rawValue), text: text)
    }

    /// Header facts of a JPEG: size, chroma subsampling and colour space. Wraps `tjDecompressHeader3`.
    /// A warning (e.g. extraneous bytes before a marker) with a readable size is not a failure:
    /// libjpeg decodes such files. `subsampling` is -1 when TurboJPEG cannot classify the chroma
    /// sampling ("Could not determine subsampling type"): libjpeg's own API decodes those
    /// (``JPEGFallback``).
    func header(_ v: ByteView) throws(TurboJPEGError) -> (width: Int, height: Int, subsampling: Int32, colorspace: Int32) {
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = -1, colorspace: Int32 = 0
        let base = v.bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        do {
            try check(tjDecompressHeader3(handle, base, UInt(v.count), &width, &height, &subsampling, &colorspace), "tjDecompressHeader3")
        } catch {
            let unclassified = error.text.contains("subsampling type")
            guard (!error.fatal || unclassified), width > 0, height > 0 else { throw error }
            if unclassified { subsampling = -1 }
        }
        // TurboJPEG 2.1.5 reports success with a 0×0 header for a few bytes of input.
        guard width > 0, height > 0 else {
            throw TurboJPEGError(function: "tjDecompressHeader3", fatal: true, text: "header declares \(width)×\(height)")
        }
        return (Int(width), Int(height), subsampling, colorspace)
    }
}
