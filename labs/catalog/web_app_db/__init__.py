"""The web-app-db lab: a page of a web application, from the HTTP request to the SQL it sends its PostgreSQL database and back."""
