"""Components and pages. Layouts build structure only; they never query."""
