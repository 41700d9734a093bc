"""What every benchmark script here shares: running one command as a whole process and measuring it
(wall time, peak resident memory of its largest process by wait4, outputs written), the release
binary, the cache folder and the machine's description.

A command is run as users run it: a fresh process, stdout and stderr discarded, its output folder
created empty just before (so no run reuses another's outputs)."""
import glob, os, platform, shutil, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(os.path.expanduser("~"), ".cache", "kimi-media")


def binary():
    """The release build of kimi-media (`make release` builds it)."""
    folder = subprocess.check_output(["swift", "build", "-c", "release", "--static-swift-stdlib", "--show-bin-path"],
                                     cwd=ROOT, text=True).strip()
    return os.path.join(folder, "kimi-media")


class Failed(Exception):
    """The command exited non-zero or was killed by a signal."""


def run(cmd, out=None, timeout=None):
    """Runs `cmd` (a list) in a fresh process; returns (seconds, peak RSS in KiB). With `out`, that
    folder is emptied first. Raises Failed on a non-zero exit."""
    if out is not None:
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
    # A quarter of a second between runs: the kernel was still cleaning up after the previous tool
    # (a Pillow pool freeing ~1 GB) when the next one started, which cost that one up to 30 % (a
    # 0.103 s kimi-media run measured 0.130 s after Pillow-SIMD and djpeg; djpeg, single-threaded,
    # did not show it). Every tool gets the same pause; it is not timed.
    time.sleep(0.25)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if timeout is not None:
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
    # wait4 on the child: its rusage covers it and the descendants it waited for (ru_maxrss: the largest).
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = proc.stderr.read().decode(errors="replace")[-600:]
    proc.stderr.close()
    if status != 0:
        raise Failed(f"exit status {status}: {' '.join(cmd)[:300]}\n{stderr}")
    return elapsed, usage.ru_maxrss


def cached_file(folder, name, make):
    """`folder/name`, made once by `make(path)` (written to a temporary name, then renamed, so an
    interrupted run never leaves half a file to be taken for a made one)."""
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        os.makedirs(folder, exist_ok=True)
        tmp = path + ".part" + os.path.splitext(name)[1]
        make(tmp)
        os.rename(tmp, path)
    return path


def outputs(folder):
    """(files, bytes) written under `folder`, manifests and reports left out."""
    files = [p for p in glob.glob(os.path.join(folder, "**", "*"), recursive=True)
             if os.path.isfile(p) and not os.path.basename(p).startswith("manifest")]
    return len(files), sum(os.path.getsize(p) for p in files)


def machine():
    """The CPU model, core count, memory, OS and the peers' versions, for the report's header."""
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = 0
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        pass

    def version(cmd):
        try:
            text = subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout or ""
            return text.strip().splitlines()[0][:80] if text.strip() else "?"
        except (OSError, subprocess.TimeoutExpired):
            return "not installed"
    return {
        "cpu": model, "cores": os.cpu_count() or 1, "memoryGiB": round(memory / 2**30, 1),
        "os": " ".join(platform.uname()[0:1] + platform.uname()[2:3]) + " / " + _os_release(),
        "tools": {"vips": version(["vips", "--version"]), "ffmpeg": version(["ffmpeg", "-version"]),
                  "imagemagick": version(["convert", "-version"]), "exiftool": version(["exiftool", "-ver"]),
                  "kimi-media": version([binary(), "--version"])},
    }


def _os_release():
    try:
        for line in open("/etc/os-release"):
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "?"


def venv(packages, name="bench"):
    """A virtual environment under the cache with `packages` installed (pip, once); returns its
    python, or None when it cannot be made (no network, no compiler): the caller leaves out what
    needs it and says so."""
    folder = os.path.join(CACHE, name, "venv")
    python = os.path.join(folder, "bin", "python")
    marker = os.path.join(folder, ".installed-" + "-".join(p.replace("=", "").replace("/", "") for p in packages))
    if os.path.exists(marker):
        return python
    try:
        if not os.path.exists(python):
            subprocess.run([sys.executable, "-m", "venv", folder], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([python, "-m", "pip", "install", "-q", *packages], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=900)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
        print(f"note: cannot install {' '.join(packages)} in {folder}: {error}", file=sys.stderr)
        return None
    open(marker, "w").close()
    return python
