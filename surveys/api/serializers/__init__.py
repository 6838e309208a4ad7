"""Input and output serializers of the API, one module per area. They shape data; services decide."""
