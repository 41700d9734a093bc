#if canImport(Glibc)
import Glibc
#endif
import KimiMediaCLI

exit(await KimiMediaCommand.main(arguments: Array(CommandLine.arguments.dropFirst())))
