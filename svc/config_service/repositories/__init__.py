"""Plain parameterised SQL, one repository per table, rows in and out."""
