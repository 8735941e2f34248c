"""The course content as data: modules, lessons (Markdown with TOML front
matter) and the glossary. See FORMAT.md; `tutor.content` loads it."""
