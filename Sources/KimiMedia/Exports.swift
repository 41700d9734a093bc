@_exported import MediaCore
@_exported import KimiAPI
