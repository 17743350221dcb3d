// Shared layer utilities (seeded dropout, gradient checks, ...) live here.
export {};
