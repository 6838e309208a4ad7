"""API views: parse the input, call one service or selector, render. Facilitator views are staff only;
``expert`` holds the views an expert reaches with their invitation token."""
