fn main() -> std::process::ExitCode {
    residue::cli::main()
}
