fn main() -> std::process::ExitCode {
    residue::allocator::configure();
    residue::cli::main()
}
