// userver's four tested architectures as flag sets (SPED, SYMPED-4p, shared-SYMPED-10p, blocking-100p).
export const ARCHITECTURES: Record<string, string[]> = {
  "SPED": ["--mode", "sped"],
  "SYMPED-4p": ["--mode", "symped", "--procs", "4"],
  "shared-SYMPED-10p": ["--mode", "shared", "--procs", "10"],
  "blocking-100p": ["--mode", "symped", "--procs", "100", "--sendfile", "b"],
};
